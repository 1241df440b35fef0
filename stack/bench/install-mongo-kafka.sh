#!/usr/bin/env bash
# Installs MongoDB's Kafka sink connector (org.mongodb.kafka:mongo-kafka-connect, the `all` jar:
# the connector with its runtime dependencies shaded in) into the Connect worker's plugin.path,
# idempotently, and restarts the worker once if it does not list the connector yet.
# Cached in ~/.m2. BENCH_NO_RESTART=1: fetch only.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MONGO_SINK_CLASS=com.mongodb.kafka.connect.MongoSinkConnector
dest="$(connect_plugins)/mongo-kafka-connect"
marker="$dest/.installed-$MONGO_KAFKA_CONNECT_VERSION"

command -v curl >/dev/null || apt_install curl
command -v jq >/dev/null || apt_install jq
if [[ ! -f "$marker" ]]; then
  started=$SECONDS
  rm -rf "$dest"
  maven_copy "org.mongodb.kafka:mongo-kafka-connect:$MONGO_KAFKA_CONNECT_VERSION:jar:all" "$dest"
  # The jar declares no connector in META-INF/services, which the worker's
  # plugin.discovery=service_load needs.
  bench_service_manifest_jar "$dest/zz-service-manifests.jar" \
    "org.apache.kafka.connect.sink.SinkConnector=$MONGO_SINK_CLASS" \
    "org.apache.kafka.connect.source.SourceConnector=com.mongodb.kafka.connect.MongoSourceConnector"
  touch "$marker"
  bench_log "mongo-kafka-connect $MONGO_KAFKA_CONNECT_VERSION installed in $dest in $((SECONDS - started))s"
else
  bench_log "mongo-kafka-connect $MONGO_KAFKA_CONNECT_VERSION already in $dest"
fi
bench_connect_reload "$MONGO_SINK_CLASS"
