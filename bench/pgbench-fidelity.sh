#!/usr/bin/env bash
# Fidelity on a schema the project did not design (issue 12): pgbench's tables in the captured
# schema, loaded before capture, rebuilt in both sinks by `resync`, then one minute of pgbench
# while the service streams; `verify` must then report every keyed table equal in both sinks and
# pgbench_history (no primary key) skipped. Runs against the local stack (npm run stack:up) with
# its own groups, index prefix, database and dead-letter topic, and removes its tables at the end.
# Usage: bench/pgbench-fidelity.sh [seconds=60] [rate=50]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
rate="${2:-50}"
run="pgbf$(date +%s)"
export POSTGRES_URL="${POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/inventory}"
prefix="${DEBEZIUM_TOPIC_PREFIX:-cdc}"
tables=(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history)
topics=$(printf "$prefix.inventory.%s," "${tables[@]}")
export KAFKA_TOPICS="${topics%,}" KAFKA_GROUP_ID_BASE="$run" ELASTICSEARCH_INDEX_PREFIX="$run-" \
  MONGODB_DATABASE="$run" DEAD_LETTER_TOPIC="$run.dead-letter" LOG_LEVEL=warn HTTP_PORT=0
psql_() { psql -q -v ON_ERROR_STOP=1 "$POSTGRES_URL" "$@"; }
cli() { node --import tsx src/cli/main.ts "$@"; }

cleanup() {
  [[ -n "${service:-}" ]] && kill "$service" 2>/dev/null && wait "$service" 2>/dev/null
  for t in "${tables[@]}"; do psql_ -c "DROP TABLE IF EXISTS inventory.$t" || true; done
  # The run's topics, groups, indices and database.
  node --input-type=module -e "
    import { Kafka, logLevel } from 'kafkajs';
    import { MongoClient } from 'mongodb';
    const admin = new Kafka({ brokers: [process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteGroups(['$run.elasticsearch', '$run.mongodb']).catch(() => {});
    await admin.deleteTopics({ topics: [...'$KAFKA_TOPICS'.split(','), '$run.dead-letter'] }).catch(() => {});
    await admin.disconnect();
    await fetch((process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200') + '/$run-*?expand_wildcards=all', { method: 'DELETE' }).catch(() => {});
    for (const t of '${tables[*]}'.split(' ')) await fetch((process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200') + '/$run-inventory.' + t, { method: 'DELETE' }).catch(() => {});
    const mongo = new MongoClient(process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017');
    await mongo.connect(); await mongo.db('$run').dropDatabase(); await mongo.close();
  " || true
}
trap cleanup EXIT

echo "== pgbench -i in schema inventory (loaded before capture: resync brings it over)"
PGOPTIONS='-c search_path=inventory' pgbench -i -q -s 1 "$POSTGRES_URL" 2>&1 | tail -1
psql_ -c "ALTER PUBLICATION cdc_fanout ADD TABLE $(printf 'inventory.%s,' "${tables[@]}" | sed 's/,$//')"
# A few transactions so that Debezium creates every topic before the service subscribes.
PGOPTIONS='-c search_path=inventory' pgbench -n -T 3 -R 20 "$POSTGRES_URL" >/dev/null
for _ in $(seq 60); do
  missing=0
  for t in "${tables[@]}"; do
    node -e "const{Kafka,logLevel}=require('kafkajs');const a=new Kafka({brokers:[process.env.KAFKA_BROKERS??'127.0.0.1:9092'],logLevel:logLevel.NOTHING}).admin();a.connect().then(()=>a.listTopics()).then(t=>{process.exit(t.includes('$prefix.inventory.$t')?0:1)})" || missing=1
  done
  ((missing)) || break
  sleep 1
done

echo "== service"
# Not through cli(): $! must be the service itself, for the cleanup to stop it.
node --import tsx src/cli/main.ts start >"/tmp/$run.service.log" 2>&1 &
service=$!
sleep 5
for t in pgbench_accounts pgbench_branches pgbench_tellers; do
  start=$SECONDS
  cli resync --table "inventory.$t" | tail -2
  echo "   resync inventory.$t took $((SECONDS - start)) s"
done

echo "== pgbench -T $seconds -R $rate while the service streams"
PGOPTIONS='-c search_path=inventory' pgbench -n -T "$seconds" -R "$rate" "$POSTGRES_URL" | grep -E 'number of transactions actually processed|tps'

echo "== verify (retried while the stream drains)"
for attempt in $(seq 30); do
  if cli verify >"/tmp/$run.verify.out" 2>"/tmp/$run.verify.err"; then break; fi
  sleep 5
done
cat "/tmp/$run.verify.out" "/tmp/$run.verify.err"
cli verify >/dev/null 2>&1 && echo "RESULT: every keyed pgbench table equal in both sinks" || {
  echo "RESULT: drift (see above)"
  exit 1
}
