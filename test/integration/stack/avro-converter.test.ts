// What the stack's Avro connector writes, read straight off Kafka and decoded with the writer schema
// the registry holds: the Confluent wire format (magic byte 0, 4-byte schema id), and a NULL stored
// in a column that has a DEFAULT arrives as NULL. Apicurio's AvroConverter writes the column's
// default instead (its AvroData never reads a struct field without the default), which would make
// every sink hold a value the row does not have; the stack's converter must not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { losslessLong } from '../../../src/decoder/avro/long.js';
import { avroStack, avroStackMissing, avroTableTopic, writerSchema } from '../support/avro.js';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { connectAdmin, readTopicUntil, type ReadMessage } from '../support/kafka-tools.js';
import { pollUntil } from '../support/poll.js';
import { postgres, uniqueRunId } from '../support/stack.js';

const skip = await avroStackMissing();
const table = `${uniqueRunId('avro-nulls').replace(/[^a-z0-9]+/g, '_')}`;
const topic = avroTableTopic(table);
let client: pg.Client | undefined;
let admin: Admin | undefined;
let messages: ReadMessage[] = [];

interface Row {
  readonly id: number;
  readonly flag: boolean | null;
  readonly qty: number | null;
  readonly note: string | null;
}

async function decode(bytes: Buffer): Promise<{ id: number; value: unknown }> {
  assert.equal(bytes.readUInt8(0), 0, 'the Confluent wire format starts with magic byte 0');
  const id = bytes.readInt32BE(1);
  const type = avro.Type.forSchema((await writerSchema(id)) as avro.Schema, {
    registry: { long: losslessLong },
  });
  return { id, value: type.fromBuffer(bytes.subarray(5)) };
}

before(async () => {
  if (skip) return;
  client = await postgres();
  admin = await connectAdmin();
  await client.query(
    `CREATE TABLE inventory.${table} (
       id integer PRIMARY KEY,
       flag boolean DEFAULT true,
       qty integer DEFAULT 7,
       note text DEFAULT 'none')`,
  );
  await client.query(`ALTER PUBLICATION ${avroStack.publication} ADD TABLE inventory.${table}`);
  await client.query(`INSERT INTO inventory.${table} VALUES (1, NULL, NULL, NULL)`);
  await client.query(`INSERT INTO inventory.${table} (id) VALUES (2)`);
  await pollUntil(`Debezium to create ${topic}`, async () => (await admin!.listTopics()).includes(topic), {
    timeoutMs: 90_000,
    intervalMs: 500,
  });
  messages = await readTopicUntil(topic, (read) => read.length >= 2, 90_000);
});

after(async () => {
  await client?.query(`DROP TABLE IF EXISTS inventory.${table}`).catch(() => undefined);
  if (admin) await deleteGroupsAndTopics(admin, [], [topic]);
  await Promise.allSettled([client?.end(), admin?.disconnect()]);
});

test(
  'a NULL in a column with a DEFAULT arrives as NULL, a defaulted column as its default',
  { skip },
  async () => {
    const rows = new Map<number, Row>();
    for (const message of messages) {
      const key = await decode(message.key!);
      const value = await decode(message.value!);
      assert.notEqual(key.id, value.id, 'key and value have their own schemas');
      const after = (value.value as { after: Row }).after;
      assert.deepEqual({ ...(key.value as object) }, { id: after.id });
      rows.set(after.id, { ...after });
    }
    assert.deepEqual(rows.get(1), { id: 1, flag: null, qty: null, note: null });
    assert.deepEqual(rows.get(2), { id: 2, flag: true, qty: 7, note: 'none' });
  },
);
