# The stack's components in dependency order; each file defines <name>_install, _start, _healthy,
# _stop and _status. Optional components start only when named (stack/up.sh ferretdb registry).
STACK_COMPONENTS=(postgres kafka connect elasticsearch mongo)
STACK_OPTIONAL_COMPONENTS=(ferretdb registry)
for _c in "${STACK_COMPONENTS[@]}" "${STACK_OPTIONAL_COMPONENTS[@]}"; do
  # shellcheck source=/dev/null
  source "$STACK_ROOT/stack/components/$_c.sh"
done
unset _c
