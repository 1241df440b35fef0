#!/usr/bin/env bash
# Stops exactly the processes stack/up.sh started (by their recorded pids), in reverse order.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$STACK_ROOT/stack/components.sh"

for c in "${STACK_OPTIONAL_COMPONENTS[@]}"; do "${c}_stop"; done
for ((i = ${#STACK_COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${STACK_COMPONENTS[$i]}"
  "${c}_stop"
done
stack_log "stack stopped"
