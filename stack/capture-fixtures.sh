#!/usr/bin/env bash
# Captures real Debezium messages, one a case, into test/fixtures/debezium/ for the decoder's tests:
# makes the changes with psql and reads them back with Kafka's own console consumer. Key and value
# are kept as the exact text that arrived (big integers must survive), null for a tombstone.
# Needs: bash stack/up.sh postgres kafka connect. Each run makes fresh changes and rewrites the files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for c in postgres kafka connect; do
  # shellcheck source=/dev/null
  source "$STACK_ROOT/stack/components/$c.sh"
done

FIXTURES="$STACK_ROOT/test/fixtures/debezium"
CONNECTOR="$(jq -r .name "$CONNECT_CONNECTOR_FILE")"
PUBLICATION="$(jq -r '.config["publication.name"]' "$CONNECT_CONNECTOR_FILE")"
# Debezium skips truncates unless told otherwise, and only sees tables in its publication: this
# throwaway table exists so that a TRUNCATE can be captured without emptying the demo tables.
SCRATCH=fixture_scratch
# What the console consumer prints for a null key or value; no JSON text can look like it.
NULL_LITERAL='<null>'
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Quiet NOTICEs (CREATE TABLE IF NOT EXISTS says one every run).
sql() { PGOPTIONS="-c client_min_messages=warning" postgres_psql -d "$STACK_PG_DB" -At -c "$1"; }

topic() { echo "$STACK_TOPIC_PREFIX.inventory.$1"; }

# In filtered mode Debezium sets its publication's tables when its task starts, so a table created
# later is only streamed after a restart of the task.
ensure_scratch_published() {
  sql "CREATE TABLE IF NOT EXISTS inventory.$SCRATCH (id integer PRIMARY KEY, note text)" >/dev/null
  local published="SELECT count(*) FROM pg_publication_tables
    WHERE pubname = '$PUBLICATION' AND schemaname = 'inventory' AND tablename = '$SCRATCH'"
  [[ "$(sql "$published")" == 1 ]] && return 0
  stack_log "restarting $CONNECTOR so that its publication takes in inventory.$SCRATCH"
  curl -fsS -X POST "$(connect_url)/connectors/$CONNECTOR/restart?includeTasks=true" >/dev/null
  local deadline=$((SECONDS + 60))
  until [[ "$(sql "$published")" == 1 ]]; do
    ((SECONDS < deadline)) || stack_die "inventory.$SCRATCH never joined publication $PUBLICATION"
    sleep 0.5
  done
  connect_wait_running "$CONNECTOR"
}

new_customer_id() {
  sql "INSERT INTO inventory.customers (first_name, last_name, email)
    VALUES ('Zoë', 'Capture', 'fixture-' || gen_random_uuid() || '@example.com') RETURNING id"
}

# make_changes CUSTOMER_ID: the changes to capture; the new customer's id also keys the hard_types
# row, so that every run's rows are its own.
make_changes() {
  local cid="$1"
  sql "UPDATE inventory.customers SET last_name = 'Captured' WHERE id = $cid" >/dev/null
  sql "DELETE FROM inventory.customers WHERE id = $cid" >/dev/null
  # Sets a column to itself: the row stays as seeded, yet Postgres logs an update in which the
  # out-of-line big_text is absent, which Debezium reports as __debezium_unavailable_value.
  sql "UPDATE inventory.hard_types SET flag = flag WHERE tenant_id = 1" >/dev/null
  sql "INSERT INTO inventory.hard_types (tenant_id, item_id, big, exact, loose, price, ts_tz, span, uid,
      doc, tags, blob, feeling, flag, big_text)
    VALUES (3, $cid, 42, 0.5, 1e-20, 9.99, now(), '36 hours', gen_random_uuid(),
      '{\"k\": [1, 2]}', ARRAY['x'], '\\x00ff', 'ok', true, 'inline')" >/dev/null
  sql "DELETE FROM inventory.hard_types WHERE tenant_id = 3 AND item_id = $cid" >/dev/null
  sql "INSERT INTO inventory.$SCRATCH VALUES (1, 'to be truncated') ON CONFLICT DO NOTHING" >/dev/null
  sql "TRUNCATE inventory.$SCRATCH" >/dev/null
}

# Reads the three topics from the start, side by side, one JVM each, into $WORK/<table>.txt.
consume_all() {
  local t pids=()
  for t in customers hard_types "$SCRATCH"; do
    kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer \
      --bootstrap-server "$STACK_HOST:$STACK_KAFKA_PORT" --topic "$(topic "$t")" --from-beginning \
      --timeout-ms 4000 --property print.key=true --property null.literal="$NULL_LITERAL" \
      >"$WORK/$t.txt" 2>>"$WORK/consumer.err" &
    pids+=("$!")
  done
  # The consumer exits non-zero when its idle timeout ends it; what it printed is what counts.
  wait "${pids[@]}" || true
}

# pick TABLE NAME CONDITION: writes the last message of TABLE's topic for which the jq CONDITION
# holds as NAME.json. CONDITION sees $k and $v, the parsed key and value (null when absent), and
# $cid, this run's customer id.
pick() {
  local table="$1" name="$2" condition="$3" found
  found="$(jq -R -c --arg topic "$(topic "$table")" --arg null "$NULL_LITERAL" --argjson cid "$CID" '
    split("\t") as [$rk, $rv]
    | (if $rk == $null then null else $rk end) as $key
    | (if $rv == $null then null else $rv end) as $value
    | ($key // "null" | fromjson) as $k
    | ($value // "null" | fromjson) as $v
    | select('"$condition"')
    | {topic: $topic, key: $key, value: $value}' "$WORK/$table.txt" | tail -n 1)"
  [[ -n "$found" ]] || return 1
  jq . <<<"$found" >"$FIXTURES/$name.json"
}

# shellcheck disable=SC2016 # the conditions are jq programs
pick_all() {
  pick customers customers-read '$k.payload.id == 1 and $v.payload.op == "r"' &&
    pick customers customers-create '$k.payload.id == $cid and $v.payload.op == "c"' &&
    pick customers customers-update '$k.payload.id == $cid and $v.payload.op == "u"' &&
    pick customers customers-delete '$k.payload.id == $cid and $v.payload.op == "d"' &&
    pick customers customers-tombstone '$k.payload.id == $cid and $v == null' &&
    pick hard_types hard_types-read-1 '$k.payload.tenant_id == 1 and $v.payload.op == "r"' &&
    pick hard_types hard_types-read-2 '$k.payload.tenant_id == 2 and $v.payload.op == "r"' &&
    pick hard_types hard_types-toast-update '$k.payload.tenant_id == 1 and $v.payload.op == "u"' &&
    pick hard_types hard_types-create '$k.payload == {tenant_id: 3, item_id: $cid} and $v.payload.op == "c"' &&
    pick hard_types hard_types-delete '$k.payload == {tenant_id: 3, item_id: $cid} and $v.payload.op == "d"' &&
    pick hard_types hard_types-tombstone '$k.payload == {tenant_id: 3, item_id: $cid} and $v == null' &&
    pick "$SCRATCH" "$SCRATCH-truncate" '$v.payload.op == "t"'
}

connect_healthy || stack_die "connect is not up; run: bash stack/up.sh postgres kafka connect"
connect_wait_running "$CONNECTOR"
ensure_scratch_published
CID="$(new_customer_id)"
make_changes "$CID"
mkdir -p "$FIXTURES"
# Debezium polls every 100 ms, so the changes land within a few seconds; give it a few reads.
for attempt in 1 2 3 4 5; do
  consume_all
  if pick_all; then
    stack_log "fixtures written to $FIXTURES (customer id $CID)"
    exit 0
  fi
  stack_log "not all changes on the topics yet (read $attempt), reading again"
done
cat "$WORK/consumer.err" >&2
stack_die "some changes never reached the topics; log: $(log_file connect)"
