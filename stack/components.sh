# The stack's components in dependency order; each file defines <name>_install, _start, _healthy,
# _stop and _status.
STACK_COMPONENTS=(postgres kafka connect elasticsearch ferretdb)
for _c in "${STACK_COMPONENTS[@]}"; do
  # shellcheck source=/dev/null
  source "$STACK_ROOT/stack/components/$_c.sh"
done
unset _c
