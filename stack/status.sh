#!/usr/bin/env bash
# Says what runs where: one line a component, with its pid and health.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$STACK_ROOT/stack/components.sh"

# An optional component that was not started is "optional", not "down": the stack is complete
# without it (test/run.sh reads these states to decide whether to bring the stack up).
optional=" ${STACK_OPTIONAL_COMPONENTS[*]} "
for c in "${STACK_COMPONENTS[@]}" "${STACK_OPTIONAL_COMPONENTS[@]}"; do
  if "${c}_healthy" >/dev/null 2>&1; then state=healthy
  elif is_running "$c"; then state=starting
  elif [[ $optional == *" $c "* ]]; then state=optional
  else state=down; fi
  pid="-"
  [[ -f "$(pid_file "$c")" ]] && pid="$(cat "$(pid_file "$c")")"
  printf '%-9s pid=%-8s ' "$state" "$pid"
  "${c}_status"
done
