#!/usr/bin/env bash
# `npm run demo`: from a fresh clone to a verified pipeline. Installs what is missing, brings the
# local stack up, registers the connector, starts cdc-fanout in the background, drives a load for a
# while, waits for the sinks to catch up, and prints the verify table. `npm run demo:stop` ends it.
source "$(dirname "${BASH_SOURCE[0]}")/../stack/lib.sh"
cd "$STACK_ROOT"

DEMO_RATE="${DEMO_RATE:-200}"
DEMO_DURATION="${DEMO_DURATION:-20s}"
HTTP_PORT="${HTTP_PORT:-9464}"
export HTTP_PORT

stop_demo() {
  stop_daemon cdc-fanout 60
  bash stack/down.sh
}
if [[ "${1:-}" == stop ]]; then
  stop_demo
  exit 0
fi

[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash stack/up.sh

start_daemon cdc-fanout node --import tsx src/cli/main.ts start
wait_until cdc-fanout 120 curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" ||
  stack_die "cdc-fanout did not become ready; log: $(log_file cdc-fanout)"
stack_log "cdc-fanout is ready: http://127.0.0.1:$HTTP_PORT/metrics (log: $(log_file cdc-fanout))"

node --import tsx src/cli/main.ts generate --rate "$DEMO_RATE" --duration "$DEMO_DURATION"

stack_log "waiting for both sinks to agree with Postgres"
deadline=$((SECONDS + 120))
until node --import tsx src/cli/main.ts verify >"$STACK_DIR/verify.txt" 2>&1; do
  if ((SECONDS >= deadline)); then
    cat "$STACK_DIR/verify.txt"
    stack_die "the sinks did not converge within 120s; service log: $(log_file cdc-fanout)"
  fi
  sleep 2
done
cat "$STACK_DIR/verify.txt"
cat <<MSG

cdc-fanout keeps running against the local stack:
  metrics   http://127.0.0.1:$HTTP_PORT/metrics
  ready     http://127.0.0.1:$HTTP_PORT/readyz
  log       $(log_file cdc-fanout)
  more load npm run generate -- --rate 500 --duration 1m
  check     npm run verify
  stop all  npm run demo:stop
MSG
