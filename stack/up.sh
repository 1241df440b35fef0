#!/usr/bin/env bash
# Brings the whole local stack up on 127.0.0.1, idempotently: what already runs is left alone.
# Usage: stack/up.sh [component...]   (default: all, in dependency order)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$STACK_ROOT/stack/components.sh"

wanted=("$@")
((${#wanted[@]})) || wanted=("${STACK_COMPONENTS[@]}")
want() { [[ " ${wanted[*]} " == *" $1 "* ]]; }

# Installs run side by side: the FerretDB build and the Maven downloads are the slow part of a cold
# start, and they do not depend on each other.
install_pids=()
for c in "${wanted[@]}"; do
  ("${c}_install") &
  install_pids+=("$!:$c")
done
for entry in "${install_pids[@]}"; do
  wait "${entry%%:*}" || stack_die "installing ${entry#*:} failed"
done

declare -A started_at
timed_wait() {
  local c="$1" timeout="$2"
  wait_until "$c" "$timeout" "${c}_healthy" || stack_die "$c did not come up"
  printf '[stack] %-13s up in %3ss\n' "$c" "$((SECONDS - started_at[$c]))" >&2
}
start() {
  started_at[$1]=$SECONDS
  "${1}_start"
}

if want postgres; then
  start postgres
  timed_wait postgres 60
  postgres_seed
fi
for c in kafka elasticsearch mongo ferretdb registry; do want "$c" && start "$c"; done
want kafka && timed_wait kafka 120
if want connect; then
  start connect
fi
want elasticsearch && timed_wait elasticsearch 180
want mongo && timed_wait mongo 60
want ferretdb && timed_wait ferretdb 60
want registry && timed_wait registry 120
if want connect; then
  timed_wait connect 180
  connect_register
fi
# The Avro connector needs both; a worker started earlier already has the converter (connect.sh).
if want registry && connect_healthy; then
  connect_register "$CONNECT_AVRO_CONNECTOR_FILE"
fi
stack_log "all requested components are up: ${wanted[*]}"
