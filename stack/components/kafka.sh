# Apache Kafka in KRaft mode: one JVM that is both broker and controller (node 1), its config and
# data under $STACK_DIR/kafka. The classpath, shared with Kafka Connect and Kafka's CLI tools, is
# stack/maven/kafka/pom.xml's runtime dependencies.

kafka_dir() { echo "$STACK_DIR/kafka"; }
kafka_lib() { echo "$STACK_DIR/lib/kafka"; }

# connect_install needs the same classpath and up.sh runs the installs side by side, so the fetch
# is serialised: maven_fetch starts by emptying its destination.
kafka_fetch_lib() {
  mkdir -p "$STACK_DIR/lib"
  (
    flock 9
    maven_fetch "$STACK_ROOT/stack/maven/kafka" "$(kafka_lib)"
  ) 9>"$STACK_DIR/lib/.kafka.lock"
}

kafka_install() { kafka_fetch_lib; }

# kafka_tool CLASS ARGS...: runs one of Kafka's command-line classes in its own small JVM (several
# of them call System.exit); their logging goes to stderr, their output to stdout.
kafka_tool() {
  "$(java_bin)" -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$STACK_ROOT/stack/log4j-tools.properties" \
    -cp "$(kafka_lib)/*" "$@"
}

kafka_write_config() {
  cat >"$(kafka_dir)/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$STACK_HOST:$STACK_KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$STACK_HOST:$STACK_KAFKA_PORT,CONTROLLER://$STACK_HOST:$STACK_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$STACK_HOST:$STACK_KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$(kafka_dir)/data
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# 50 partitions by default: on one local broker that is only startup time and log lines.
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
CONF
}

# KRaft refuses to start on an unformatted log dir; formatting happens once, with a fresh cluster id.
kafka_format() {
  local cluster_id
  cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid)"
  kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$(kafka_dir)/server.properties" \
    >>"$(log_file kafka)" 2>&1 || stack_die "formatting kafka storage failed; log: $(log_file kafka)"
}

kafka_start() {
  if is_running kafka; then return 0; fi
  mkdir -p "$(kafka_dir)"
  kafka_write_config
  [[ -f "$(kafka_dir)/data/meta.properties" ]] || kafka_format
  start_daemon kafka "$(java_bin)" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$STACK_ROOT/stack/log4j.properties" \
    -cp "$(kafka_lib)/*" kafka.Kafka "$(kafka_dir)/server.properties"
}

# The broker opens its port before it serves requests, so an open port proves little. Instead send
# a Kafka ApiVersions v0 request (api key 18, correlation id 1, null client id) and expect a
# response with correlation id 1 and error code 0: a KRaft broker only answers once it is unfenced.
kafka_healthy() {
  # shellcheck disable=SC2016 # $1/$2 belong to the inner shell
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n" | grep -q "^........000000010000$"
  ' _ "$STACK_HOST" "$STACK_KAFKA_PORT" 2>/dev/null
}

kafka_stop() { stop_daemon kafka 60; }

kafka_status() {
  echo "kafka      $STACK_HOST:$STACK_KAFKA_PORT  controller=$STACK_HOST:$STACK_KAFKA_CONTROLLER_PORT  data=$(kafka_dir)/data"
}
