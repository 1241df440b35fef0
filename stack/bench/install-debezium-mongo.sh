#!/usr/bin/env bash
# Installs Debezium's MongoDB connector plugin (io.debezium:debezium-connector-mongodb, the
# version stack/lib.sh pins, `plugin` tar.gz), which holds the MongoDB *sink* connector
# io.debezium.connector.mongodb.MongoDbSinkConnector, into the Connect worker's plugin.path,
# idempotently, and restarts the worker once if it does not list the sink yet.
# Cached in ~/.m2. BENCH_NO_RESTART=1: fetch only.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBEZIUM_MONGO_SINK_CLASS=io.debezium.connector.mongodb.MongoDbSinkConnector
dest="$(connect_plugins)/debezium-connector-mongodb"
marker="$dest/.installed-$DEBEZIUM_VERSION"

command -v curl >/dev/null || apt_install curl
command -v jq >/dev/null || apt_install jq
command -v unzip >/dev/null || apt_install unzip
if [[ ! -f "$marker" ]]; then
  started=$SECONDS
  tmp="$(mktemp -d)"
  maven_copy "io.debezium:debezium-connector-mongodb:$DEBEZIUM_VERSION:tar.gz:plugin" "$tmp"
  rm -rf "$dest"
  # The archive's top folder is debezium-connector-mongodb/.
  tar -xzf "$tmp"/*.tar.gz -C "$(connect_plugins)"
  rm -rf "$tmp"
  [[ -d "$dest" ]] || stack_die "the Debezium MongoDB archive has no debezium-connector-mongodb/ folder"
  if ! unzip -p "$dest/debezium-connector-mongodb-$DEBEZIUM_VERSION.jar" \
    META-INF/services/org.apache.kafka.connect.sink.SinkConnector 2>/dev/null |
    grep -qx "$DEBEZIUM_MONGO_SINK_CLASS"; then
    bench_service_manifest_jar "$dest/zz-service-manifests.jar" \
      "org.apache.kafka.connect.sink.SinkConnector=$DEBEZIUM_MONGO_SINK_CLASS"
  fi
  touch "$marker"
  bench_log "debezium-connector-mongodb $DEBEZIUM_VERSION installed in $dest in $((SECONDS - started))s"
else
  bench_log "debezium-connector-mongodb $DEBEZIUM_VERSION already in $dest"
fi
bench_connect_reload "$DEBEZIUM_MONGO_SINK_CLASS"
