# Shared helpers for the benchmark peers' install scripts. Sourced, never run.
# Builds on the stack's own helpers (stack/lib.sh and the component files), so paths, ports, the
# pinned versions and the Maven/Go caches are the stack's.

# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
# shellcheck source=../components.sh
source "$STACK_ROOT/stack/components.sh"

# The peers' pinned versions. mongo-kafka-connect: the newest 1.x on Maven Central.
MONGO_KAFKA_CONNECT_VERSION="${MONGO_KAFKA_CONNECT_VERSION:-1.13.0}"
# Redpanda Connect: the newest v4 the Go module proxy serves.
REDPANDA_CONNECT_VERSION="${REDPANDA_CONNECT_VERSION:-v4.78.0}"

bench_log() { printf '[bench] %s\n' "$*" >&2; }

# bench_service_manifest_jar JAR KIND=CLASS...: a jar holding only ServiceLoader manifests. The
# worker runs with plugin.discovery=service_load, which finds only plugins that declare themselves
# in META-INF/services; a plugin jar without those manifests gets them from this extra jar put in
# its plugin directory (it shares the plugin's class loader).
bench_service_manifest_jar() {
  local jar="$1" tmp entry
  shift
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/META-INF/services"
  for entry in "$@"; do
    echo "${entry#*=}" >>"$tmp/META-INF/services/${entry%%=*}"
  done
  (cd "$tmp" && jar cf "$jar" META-INF) || stack_die "could not write $jar"
  rm -rf "$tmp"
}

# bench_connect_has_plugin CLASS: the running worker lists CLASS among its connector plugins.
bench_connect_has_plugin() {
  curl -fsS --max-time 5 "$(connect_url)/connector-plugins?connectorsOnly=true" 2>/dev/null |
    jq -e --arg c "$1" 'any(.[]; .class == $c)' >/dev/null
}

# bench_connect_reload CLASS...: a worker loads plugins only at start. When one of CLASS is not
# listed, the worker is restarted (briefly: the other engineers' source connector pauses for the
# restart) and the cdc-inventory source connector is brought back to RUNNING. BENCH_NO_RESTART=1
# leaves the worker alone (install-all.sh restarts once for every peer).
bench_connect_reload() {
  local class missing=()
  for class in "$@"; do bench_connect_has_plugin "$class" || missing+=("$class"); done
  ((${#missing[@]})) || return 0
  if [[ "${BENCH_NO_RESTART:-0}" == 1 ]]; then
    bench_log "worker restart needed to load ${missing[*]} (skipped: BENCH_NO_RESTART=1)"
    return 0
  fi
  bench_log "restarting the Connect worker to load ${missing[*]}"
  local started=$SECONDS
  connect_stop
  connect_start
  wait_until connect 180 connect_healthy || stack_die "connect did not come back; log: $(log_file connect)"
  connect_register
  for class in "${missing[@]}"; do
    bench_connect_has_plugin "$class" ||
      stack_die "the worker does not list $class after a restart; log: $(log_file connect)"
  done
  bench_log "Connect worker back with ${missing[*]} in $((SECONDS - started))s"
}
