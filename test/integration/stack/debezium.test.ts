// The change stream the service consumes, read straight off Kafka: a row inserted, updated and
// deleted in Postgres comes out of its table's topic, through the stack's pgoutput slot and
// Connect worker, as Debezium envelopes c, u and d and then a tombstone, in LSN order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { connectAdmin, readTopicUntil, type ReadMessage } from '../support/kafka-tools.js';
import { pollUntil } from '../support/poll.js';
import { PUBLICATION } from '../support/run-tables.js';
import { postgres, tableTopic, uniqueRunId } from '../support/stack.js';

interface Envelope {
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly op: string;
  readonly source: { readonly schema: string; readonly table: string; readonly lsn: number; ts_ms: number };
}

const table = `${uniqueRunId('debezium').replace(/[^a-z0-9]+/g, '_')}_smoke`;
const topic = tableTopic(table);
let client: pg.Client;
let admin: Admin;
let messages: ReadMessage[];

/** The payload of a message's JSON with schema (the stack's converters embed the schema). */
function payloadOf(bytes: Buffer | null): unknown {
  const parsed = JSON.parse(bytes!.toString()) as { schema: unknown; payload: unknown };
  assert.ok(parsed.schema, 'the envelope carries its schema');
  return parsed.payload;
}

before(async () => {
  client = await postgres();
  admin = await connectAdmin();
  await client.query(
    `CREATE TABLE inventory.${table} (id integer PRIMARY KEY, name text NOT NULL, qty integer)`,
  );
  await client.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${table}`);
  // Three transactions, so three commits with their own LSNs.
  await client.query(`INSERT INTO inventory.${table} VALUES (1, 'first', 1)`);
  await client.query(`UPDATE inventory.${table} SET name = 'second', qty = 2 WHERE id = 1`);
  await client.query(`DELETE FROM inventory.${table} WHERE id = 1`);
  await pollUntil(`Debezium to create ${topic}`, async () => (await admin.listTopics()).includes(topic), {
    timeoutMs: 90_000,
    intervalMs: 500,
  });
  messages = await readTopicUntil(topic, (read) => read.length >= 4);
});

after(async () => {
  await client.query(`DROP TABLE IF EXISTS inventory.${table}`).catch(() => undefined);
  await deleteGroupsAndTopics(admin, [], [topic]);
  await Promise.allSettled([client.end(), admin.disconnect()]);
});

test('insert, update and delete arrive as c, u, d and a tombstone, on one partition in order', () => {
  assert.equal(messages.length, 4, 'nothing else was written to the table');
  assert.equal(new Set(messages.map((message) => message.partition)).size, 1, 'one key, one partition');
  const offsets = messages.map((message) => BigInt(message.offset));
  assert.deepEqual(
    offsets,
    [...offsets].sort((a, b) => (a < b ? -1 : 1)),
  );
  for (const message of messages) assert.deepEqual(payloadOf(message.key), { id: 1 });

  const [created, updated, deleted] = messages
    .slice(0, 3)
    .map((message) => payloadOf(message.value) as Envelope);
  assert.equal(created!.op, 'c');
  assert.equal(created!.before, null);
  assert.deepEqual(created!.after, { id: 1, name: 'first', qty: 1 });

  assert.equal(updated!.op, 'u');
  // REPLICA IDENTITY DEFAULT: pgoutput sends no old row for an update that keeps the key.
  assert.equal(updated!.before, null);
  assert.deepEqual(updated!.after, { id: 1, name: 'second', qty: 2 });

  assert.equal(deleted!.op, 'd');
  assert.equal(deleted!.after, null);
  assert.equal(deleted!.before?.['id'], 1, 'a delete carries the old key');

  assert.equal(messages[3]!.value, null, 'the tombstone that lets compaction drop the key');
});

test('each envelope names its source table, and the LSNs increase with the commits', () => {
  const envelopes = messages.slice(0, 3).map((message) => payloadOf(message.value) as Envelope);
  for (const { source } of envelopes) {
    assert.equal(source.schema, 'inventory');
    assert.equal(source.table, table);
    assert.equal(typeof source.ts_ms, 'number');
  }
  const lsns = envelopes.map(({ source }) => source.lsn);
  assert.ok(lsns[0]! < lsns[1]! && lsns[1]! < lsns[2]!, `LSNs in commit order: ${lsns.join(' < ')}`);
});
