#!/usr/bin/env bash
# Installs every benchmark peer, idempotently, restarting the Connect worker at most once (and only
# when a connector plugin is new to it): the two Connect plugins fetch while Redpanda Connect builds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"

BENCH_NO_RESTART=1 bash "$here/install-mongo-kafka.sh" &
mongo_kafka=$!
BENCH_NO_RESTART=1 bash "$here/install-debezium-mongo.sh" &
debezium_mongo=$!
bash "$here/install-redpanda-connect.sh" &
redpanda=$!
status=0
wait "$mongo_kafka" || { bench_log "installing mongo-kafka failed"; status=1; }
wait "$debezium_mongo" || { bench_log "installing debezium-mongo failed"; status=1; }
((status == 0)) && bench_connect_reload com.mongodb.kafka.connect.MongoSinkConnector \
  io.debezium.connector.mongodb.MongoDbSinkConnector
wait "$redpanda" || { bench_log "building redpanda-connect failed"; status=1; }
exit "$status"
