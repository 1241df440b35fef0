# Kafka Connect in distributed mode with the Debezium Postgres connector, config and plugins under
# $STACK_DIR/connect. It runs on Kafka's classpath (stack/maven/kafka/pom.xml); the connector is
# Debezium's plugin archive from Maven Central, unpacked into plugin.path.

CONNECT_CONNECTOR_FILE="$STACK_ROOT/debezium/postgres-connector.json"
# The Avro pipeline's connector (stack/up.sh registry registers it): same tables, own slot and topics.
CONNECT_AVRO_CONNECTOR_FILE="$STACK_ROOT/debezium/postgres-connector-avro.json"
CONNECT_DEBEZIUM_CLASS=io.debezium.connector.postgresql.PostgresConnector

connect_dir() { echo "$STACK_DIR/connect"; }
connect_plugins() { echo "$(connect_dir)/plugins"; }
connect_url() { echo "http://$STACK_HOST:$STACK_CONNECT_PORT"; }

# The plugin archive is fetched through Maven so that ~/.m2 caches it; a marker names the version
# unpacked, so changing DEBEZIUM_VERSION replaces it.
connect_fetch_debezium() {
  local marker
  marker="$(connect_plugins)/.debezium-$DEBEZIUM_VERSION"
  [[ -f "$marker" ]] && return 0
  maven_unpack "io.debezium:debezium-connector-postgres:$DEBEZIUM_VERSION:tar.gz:plugin" "$(connect_plugins)"
  touch "$marker"
}

# The Apicurio Avro converter goes into every worker, registry or not: 7 MB fetched once, and a
# worker that already runs can then take the Avro connector (stack/up.sh registry) without a restart.
# With it goes our subclass, stack/java/cdcfanout/connect/NullPreservingAvroConverter.java, which
# the Avro connector uses: Apicurio's own writes a column's DEFAULT where the row holds NULL.
connect_fetch_avro_converter() {
  local dir classes
  dir="$(connect_plugins)/apicurio-converter"
  classes="$(connect_dir)/converter-classes"
  maven_fetch "$STACK_ROOT/stack/maven/apicurio-converter" "$dir"
  # The plugin leaves Kafka's jars out (Connect supplies them), so compile against Kafka's classpath.
  compile_java connect "$STACK_ROOT/stack/java/cdcfanout/connect" "$dir" "$classes" "$(kafka_lib)/*"
  if [[ ! -f "$dir/cdc-fanout-converter.jar" || "$classes/.compiled" -nt "$dir/cdc-fanout-converter.jar" ]]; then
    # plugin.discovery=service_load finds only classes named in a ServiceLoader manifest.
    mkdir -p "$classes/META-INF/services"
    echo cdcfanout.connect.NullPreservingAvroConverter \
      >"$classes/META-INF/services/org.apache.kafka.connect.storage.Converter"
    "$(dirname "$(es_javac)")/jar" cf "$dir/cdc-fanout-converter.jar" -C "$classes" cdcfanout -C "$classes" META-INF
  fi
}

connect_install() {
  command -v curl >/dev/null || apt_install curl
  command -v jq >/dev/null || apt_install jq
  kafka_fetch_lib
  connect_fetch_debezium
  connect_fetch_avro_converter
}

connect_write_config() {
  cat >"$(connect_dir)/worker.properties" <<CONF
bootstrap.servers=$STACK_HOST:$STACK_KAFKA_PORT
group.id=cdc-fanout-connect
config.storage.topic=cdc-fanout-connect-configs
offset.storage.topic=cdc-fanout-connect-offsets
status.storage.topic=cdc-fanout-connect-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=1000
# A worker revokes its tasks once the group coordinator has been unreachable for one heartbeat
# interval (3 s by default), so a broker restart stopped the Debezium tasks, and a task whose stop
# outlived the graceful timeout (5 s) left its replication connection open: the new task found the
# slot active, gave up after slot.max.retries, and the stream stayed down until Connect restarted.
# A 15 s interval rides out a broker restart; a longer graceful stop lets a revoked task release the
# slot once the broker is back. A dead worker is still noticed after session.timeout.ms.
heartbeat.interval.ms=15000
session.timeout.ms=45000
task.shutdown.graceful.timeout.ms=30000
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
listeners=http://$STACK_HOST:$STACK_CONNECT_PORT
rest.advertised.host.name=$STACK_HOST
rest.advertised.port=$STACK_CONNECT_PORT
plugin.path=$(connect_plugins)
# Every plugin we use ships a ServiceLoader manifest; skipping the reflective scan of the whole
# classpath saves seconds at each start.
plugin.discovery=service_load
# Lets the connector JSON say \${env:CDC_PG_HOST}: the same file then serves the compose stack.
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
CONF
}

connect_start() {
  if is_running connect; then return 0; fi
  mkdir -p "$(connect_dir)"
  connect_write_config
  start_daemon connect env \
    CDC_PG_HOST="$STACK_HOST" CDC_PG_PORT="$STACK_PG_PORT" CDC_PG_USER="$STACK_PG_USER" \
    CDC_PG_PASSWORD="$STACK_PG_PASSWORD" CDC_PG_DB="$STACK_PG_DB" CDC_TOPIC_PREFIX="$STACK_TOPIC_PREFIX" \
    CDC_AVRO_TOPIC_PREFIX="$STACK_AVRO_TOPIC_PREFIX" \
    CDC_REGISTRY_URL="http://$STACK_HOST:$STACK_REGISTRY_PORT/apis/registry/v2" \
    "$(java_bin)" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$STACK_ROOT/stack/log4j.properties" \
    -cp "$(kafka_lib)/*" org.apache.kafka.connect.cli.ConnectDistributed "$(connect_dir)/worker.properties"
}

# /health answers 200 only once the worker has joined its group and can take requests.
connect_healthy() {
  curl -fsS --max-time 2 "$(connect_url)/health" >/dev/null &&
    curl -fsS --max-time 2 "$(connect_url)/connector-plugins" | grep -qF "\"$CONNECT_DEBEZIUM_CLASS\""
}

connect_stop() { stop_daemon connect 60; }

connect_status() {
  echo "connect    $(connect_url)  plugins=$(connect_plugins)  debezium=$DEBEZIUM_VERSION"
}

# connect_put_config NAME CONFIG_JSON: a PUT is refused with 409 while the group rebalances.
connect_put_config() {
  local name="$1" config="$2" code deadline=$((SECONDS + 60))
  while :; do
    code="$(curl -sS -o "$(connect_dir)/put.out" -w '%{http_code}' -X PUT \
      -H 'Content-Type: application/json' --data "$config" "$(connect_url)/connectors/$name/config")"
    case "$code" in
      200 | 201) return 0 ;;
      409) ((SECONDS < deadline)) || stack_die "connect kept rebalancing; log: $(log_file connect)" ;;
      *) stack_die "registering $name failed (HTTP $code): $(cat "$(connect_dir)/put.out")" ;;
    esac
    sleep 1
  done
}

# connect_task_state NAME: RUNNING once the connector and all its tasks run, FAILED if any failed,
# otherwise what it waits for.
connect_task_state() {
  curl -fsS --max-time 2 "$(connect_url)/connectors/$1/status" 2>/dev/null | jq -r '
    ([.connector.state] + [.tasks[].state]) as $s
    | if ($s | any(. == "FAILED")) then "FAILED"
      elif (.tasks | length) > 0 and ($s | all(. == "RUNNING")) then "RUNNING"
      else "PENDING" end'
}

connect_wait_running() {
  local name="$1" state deadline=$((SECONDS + 120))
  # Right after its config was replaced, a connector may still report the old config's failure.
  local failed_after=$((SECONDS + 10))
  while :; do
    state="$(connect_task_state "$name" || echo PENDING)"
    case "$state" in
      RUNNING) return 0 ;;
      FAILED)
        ((SECONDS >= failed_after)) || { sleep 0.5 && continue; }
        curl -fsS "$(connect_url)/connectors/$name/status" |
          jq -r '[.connector.trace, .tasks[].trace] | map(select(.)) | .[0]' | head -n 5 >&2
        stack_die "connector $name FAILED; log: $(log_file connect)"
        ;;
    esac
    ((SECONDS < deadline)) || stack_die "connector $name not RUNNING after 120s; log: $(log_file connect)"
    sleep 0.5
  done
}

# connect_register [FILE]: registers the connector (default: the JSON one), or updates it when the
# file changed; an unchanged config is left alone so that a second up.sh does not restart it.
connect_register() {
  local file="${1:-$CONNECT_CONNECTOR_FILE}" name wanted current
  name="$(jq -r .name "$file")"
  wanted="$(jq -cS --arg n "$name" '.config + {name: $n}' "$file")"
  current="$(curl -fsS --max-time 5 "$(connect_url)/connectors/$name/config" 2>/dev/null | jq -cS . || true)"
  if [[ "$current" == "$wanted" ]]; then
    stack_log "connector $name already registered, config unchanged"
    # A task that failed while something it needs was away (the registry, the broker) stays FAILED
    # until restarted: bringing the stack up restarts it once, as an operator would.
    if [[ "$(connect_task_state "$name" || true)" == FAILED ]]; then
      stack_log "connector $name has a FAILED task: restarting it"
      curl -fsS -X POST "$(connect_url)/connectors/$name/restart?includeTasks=true&onlyFailed=true" >/dev/null
    fi
  else
    connect_put_config "$name" "$wanted"
    stack_log "connector $name registered from $file"
  fi
  connect_wait_running "$name"
  stack_log "connector $name and its tasks are RUNNING"
}
