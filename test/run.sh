#!/usr/bin/env bash
# The README's test command. `unit` needs nothing running; `integration` and `all` bring the local
# stack up first (idempotent) and, if this run started it, take it down again at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
suite="${1:-all}"

run_node_tests() {
  local files
  mapfile -t files < <(find "$@" -name '*.test.ts' | sort)
  ((${#files[@]})) || return 0
  # One file at a time: the integration files share one stack and one set of demo tables.
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
}

stack_started_here=0
stop_stack() { ((stack_started_here)) && bash stack/down.sh || true; }

if [[ $suite == integration || $suite == all ]]; then
  if ! bash stack/status.sh 2>/dev/null | grep -Eqv '^(healthy|optional) '; then
    echo "[test] stack already healthy"
  else
    stack_started_here=1
    trap stop_stack EXIT
    bash stack/up.sh
  fi
  # The Avro tests need the registry and the Avro connector, optional parts of the stack (and
  # stopped with it when this run started it). Idempotent: already up, nothing happens.
  bash stack/up.sh registry
fi

case "$suite" in
  unit) run_node_tests test/unit ;;
  integration) run_node_tests test/integration ;;
  all) run_node_tests test/unit test/integration ;;
  *)
    echo "usage: test/run.sh unit|integration|all" >&2
    exit 2
    ;;
esac
