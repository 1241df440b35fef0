# Shared helpers for the no-Docker stack. Sourced, never run.
# Every component lives under $STACK_DIR/<name>: data, its log, its pid file. Nothing outside it
# is touched except the download caches (~/.m2, Go's module cache), which only speed things up.

set -euo pipefail

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$STACK_ROOT/.stack}"
STACK_HOST=127.0.0.1

STACK_PG_PORT="${STACK_PG_PORT:-5432}"
STACK_PG_USER="${STACK_PG_USER:-postgres}"
STACK_PG_PASSWORD="${STACK_PG_PASSWORD:-postgres}"
STACK_PG_DB="${STACK_PG_DB:-inventory}"
STACK_KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
STACK_KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9093}"
STACK_CONNECT_PORT="${STACK_CONNECT_PORT:-8083}"
STACK_ES_PORT="${STACK_ES_PORT:-9200}"
STACK_ES_TRANSPORT_PORT="${STACK_ES_TRANSPORT_PORT:-9300}"
STACK_MONGO_PORT="${STACK_MONGO_PORT:-27017}"
# FerretDB, the second MongoDB target (optional: stack/up.sh ferretdb).
STACK_FERRETDB_PORT="${STACK_FERRETDB_PORT:-27027}"
# The stand-in's storage: h2 (one file, survives restarts) or memory (faster, lost on restart).
STACK_MONGO_BACKEND="${STACK_MONGO_BACKEND:-h2}"
# The stand-in's page cache in MB (h2; docs/mongodb-stand-in.md, "Page cache"); a test shrinks it so
# that pages are read back from the file.
STACK_MONGO_CACHE_MB="${STACK_MONGO_CACHE_MB:-64}"
# KB of changed pages after which the stand-in writes them (h2; at the latest every 10 s); a test
# sets H2's default, 1024, so that the background writer runs several times a second.
STACK_MONGO_COMMIT_KB="${STACK_MONGO_COMMIT_KB:-262144}"
STACK_TOPIC_PREFIX="${STACK_TOPIC_PREFIX:-cdc}"
# A component's log over this many MB when it starts is moved to <name>.log.1 (replacing the last
# one): the Connect worker's reached 2.5 GB on a long-lived machine, restarted many times.
STACK_LOG_KEEP_MB="${STACK_LOG_KEEP_MB:-64}"
# Apicurio Registry, the schema registry of the Avro pipeline (optional: stack/up.sh registry).
STACK_REGISTRY_PORT="${STACK_REGISTRY_PORT:-8085}"
# The Avro connector's topic prefix; it is also the Avro namespace, so no '-' or '.'.
STACK_AVRO_TOPIC_PREFIX="${STACK_AVRO_TOPIC_PREFIX:-cdc_avro}"

# Pinned versions: Debezium 3.2.x is built against Kafka 3.9.1; the Elasticsearch launcher uses
# internal API that moves between minors.
KAFKA_VERSION=3.9.1
DEBEZIUM_VERSION=3.2.3.Final
ES_VERSION=8.18.1
FERRETDB_VERSION=v1.24.2
# 2.6.x is the last Apicurio line on Java 17; the converter's version in stack/maven/apicurio-converter.
APICURIO_VERSION=2.6.13.Final

mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs"

stack_log() { printf '[stack] %s\n' "$*" >&2; }
stack_die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

pid_file() { echo "$STACK_DIR/run/$1.pid"; }
log_file() { echo "$STACK_DIR/logs/$1.log"; }

# is_running NAME: true when the pid we recorded for NAME is alive.
is_running() {
  local f
  f="$(pid_file "$1")"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# rotate_log NAME: moves NAME's log aside once it is over STACK_LOG_KEEP_MB, keeping one old log.
rotate_log() {
  local log size
  log="$(log_file "$1")"
  [[ -f "$log" ]] || return 0
  size=$(stat -c %s "$log")
  ((size > STACK_LOG_KEEP_MB * 1024 * 1024)) || return 0
  mv -f "$log" "$log.1"
  stack_log "$1's log was over ${STACK_LOG_KEEP_MB} MB: moved to $log.1"
}

# start_daemon NAME CMD...: runs CMD detached in its own session, output to the component log,
# and records its pid so that stop_daemon stops exactly that process tree and nothing else.
start_daemon() {
  local name="$1"
  shift
  if is_running "$name"; then
    stack_log "$name already running (pid $(cat "$(pid_file "$name")"))"
    return 0
  fi
  rotate_log "$name"
  setsid "$@" >>"$(log_file "$name")" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# stop_daemon NAME [GRACE_SECONDS]: SIGTERM to the recorded process group, SIGKILL after the grace.
stop_daemon() {
  local name="$1" grace="${2:-30}" f pid
  f="$(pid_file "$name")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < grace * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      stack_log "$name did not stop in ${grace}s, killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

port_open() { (exec 3<>"/dev/tcp/$STACK_HOST/$1") 2>/dev/null; }

# wait_until NAME TIMEOUT_SECONDS CHECK...: polls CHECK until it succeeds; on timeout names the
# component and its log, and shows the log's tail, so a failed start explains itself.
wait_until() {
  local name="$1" timeout="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      stack_log "$name did not become healthy within ${timeout}s; log: $(log_file "$name")"
      tail -n 40 "$(log_file "$name")" >&2 2>/dev/null || true
      return 1
    fi
    if [[ -f "$(pid_file "$name")" ]] && ! is_running "$name"; then
      stack_log "$name exited during start; log: $(log_file "$name")"
      tail -n 40 "$(log_file "$name")" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

# maven_copy ARTIFACT DEST: one artifact (group:artifact:version[:type[:classifier]]) into DEST
# through Maven, so that ~/.m2 caches it.
maven_copy() {
  local artifact="$1" dest="$2"
  command -v mvn >/dev/null || apt_install maven
  mkdir -p "$dest"
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="$artifact" -DoutputDirectory="$dest" >>"$(log_file maven)" 2>&1 ||
    stack_die "maven could not fetch $artifact; log: $(log_file maven)"
}

# maven_unpack ARTIFACT DEST: a tar.gz artifact unpacked into DEST, which it replaces.
maven_unpack() {
  local artifact="$1" dest="$2" tmp
  tmp="$(mktemp -d)"
  maven_copy "$artifact" "$tmp"
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -xzf "$tmp"/*.tar.gz -C "$dest"
  rm -rf "$tmp"
}

# maven_fetch POM_DIR DEST: copies a pom's runtime dependencies into DEST once; ~/.m2 caches jars.
maven_fetch() {
  local pom_dir="$1" dest="$2"
  if [[ -f "$dest/.complete" && "$dest/.complete" -nt "$pom_dir/pom.xml" ]]; then return 0; fi
  command -v mvn >/dev/null || apt_install maven
  rm -rf "$dest"
  mkdir -p "$dest"
  mvn -q -B -f "$pom_dir/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest" >>"$(log_file maven)" 2>&1 ||
    stack_die "maven could not fetch $pom_dir; log: $(log_file maven)"
  touch "$dest/.complete"
}

apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# java_bin: Java 17+ is required by Kafka 3.9, Debezium 3.2 and Elasticsearch 8.
java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null; then
    command -v java
  else
    apt_install openjdk-17-jdk-headless
    command -v java
  fi
}

# compile_java COMPONENT SRC LIB OUT [CLASSPATH]: compiles the .java files under SRC against the
# jars in LIB (and CLASSPATH, if given) into OUT, for a component whose server is a small Java main
# of ours. Skipped while OUT is newer than the sources and the fetched jars (LIB/.complete). Errors
# go to the component's log.
compile_java() {
  local component="$1" src="$2" lib="$3" out="$4" extra="${5:-}"
  local stamp="$out/.compiled"
  if [[ -f "$stamp" && -z "$(find "$src" "$lib/.complete" -newer "$stamp" -print -quit)" ]]; then
    return 0
  fi
  rm -rf "$out"
  mkdir -p "$out"
  local sources
  mapfile -t sources < <(find "$src" -name '*.java')
  # es_javac (elasticsearch.sh) finds the JDK's javac next to the java that runs the servers.
  "$(es_javac)" --release 17 -nowarn -d "$out" -cp "$lib/*${extra:+:$extra}" "${sources[@]}" >>"$(log_file "$component")" 2>&1 ||
    stack_die "compiling $component's Java sources failed; log: $(log_file "$component")"
  touch "$stamp"
}
