// Captures test/fixtures/avro/hard_types.json from the local stack's two connectors, which read the
// same tables: each case is one change of inventory.hard_types as the JSON connector wrote it
// (cdc.*) and as the Avro connector wrote it (cdc_avro.*, Confluent wire format, base64 here),
// with the writer schemas the registry served for the Avro ones. The decoder's tests then check
// that both forms decode to the same events.
// Needs: bash stack/up.sh postgres kafka connect registry. Env: POSTGRES_URL, KAFKA_BROKERS,
// REGISTRY_URL (http://127.0.0.1:8085/apis/ccompat/v7). Run: node --import tsx scripts/capture-avro-fixtures.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/inventory';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REGISTRY_URL = process.env.REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7';
const JSON_TOPIC = `${process.env.DEBEZIUM_TOPIC_PREFIX ?? 'cdc'}.inventory.hard_types`;
const AVRO_TOPIC = `${process.env.AVRO_TOPIC_PREFIX ?? 'cdc_avro'}.inventory.hard_types`;
const OUT = new URL('../test/fixtures/avro/', import.meta.url);

interface Message {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Every message of a topic (one partition per key: the capture keeps each key's order). */
async function readAll(
  topic: string,
  until: (messages: Message[]) => boolean | Promise<boolean>,
): Promise<Map<number, Message[]>> {
  const kafka = new Kafka({
    clientId: 'capture-avro-fixtures',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `capture-avro-${Date.now().toString(36)}`,
    maxWaitTimeInMs: 500,
  });
  const byPartition = new Map<number, Message[]>();
  const all: Message[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const entry = { offset: message.offset, key: message.key, value: message.value };
      all.push(entry);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), entry]);
    },
  });
  const deadline = Date.now() + 60_000;
  while (!(await until(all))) {
    if (Date.now() > deadline) throw new Error(`timed out reading ${topic} (${all.length} messages)`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await consumer.disconnect();
  return byPartition;
}

/** The key columns of a message, read without the decoder under test. */
function jsonKey(message: Message): string {
  return JSON.stringify((JSON.parse(message.key!.toString()) as { payload: unknown }).payload);
}

async function schemaText(id: number): Promise<string> {
  const response = await fetch(`${REGISTRY_URL}/schemas/ids/${id}`);
  if (!response.ok) throw new Error(`registry: schema ${id}: HTTP ${response.status}`);
  return ((await response.json()) as { schema: string }).schema;
}

const client = new pg.Client({ connectionString: POSTGRES_URL });
await client.connect();
const item = Date.now();
// A row with every type, a NULL where the column has a DEFAULT (flag), then an update that leaves
// the TOASTed big_text alone, then a delete (and its tombstone).
await client.query(
  `INSERT INTO inventory.hard_types VALUES (9, $1, 9223372036854775806, -98765432109876543210.0123456789,
     -2.5e-20, -0.01, 'NaN', '2000-01-01 00:00:00.000001+00', '2000-01-01 00:00:00.000001', '2000-01-01',
     '23:59:59.999999', '23:59:59.999999-11', 'P1Y2M3DT4H5M6.7S', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
     '[1, 12345678901234567890]', ARRAY[NULL, 'x'], '\\x00ff', 'ok', NULL, repeat('big ', 4000))`,
  [item],
);
await client.query(
  `UPDATE inventory.hard_types SET exact = 1.5, flag = false WHERE tenant_id = 9 AND item_id = $1`,
  [item],
);
await client.query(`DELETE FROM inventory.hard_types WHERE tenant_id = 9 AND item_id = $1`, [item]);
await client.end();

const jsonByPartition = await readAll(JSON_TOPIC, (messages) =>
  messages.some((m) => m.value === null && m.key?.toString().includes(`"item_id":${item}`)),
);
const jsonMessages = [...jsonByPartition.values()].flat();
const keys = new Map<string, Message[]>();
for (const message of jsonMessages) {
  const key = jsonKey(message);
  keys.set(key, [...(keys.get(key) ?? []), message]);
}
// The Avro key's columns, by the same decoding the registry's writer schema describes: matched on
// the JSON key's text, which holds the same ids (ints only in this table's key).
const avro = await import('avsc');
const { losslessLong } = await import('../src/decoder/avro/long.js');
const schemas: Record<string, string> = {};
async function avroKey(message: Message): Promise<string> {
  const id = message.key!.readUInt32BE(1);
  schemas[id] ??= await schemaText(id);
  const type = avro.default.Type.forSchema(JSON.parse(schemas[id]) as never, {
    registry: { long: losslessLong },
  });
  const decoded = type.fromBuffer(message.key!.subarray(5)) as Record<string, unknown>;
  return JSON.stringify({ ...decoded }, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

const newKey = JSON.stringify({ tenant_id: 9, item_id: item });
const avroByPartition = await readAll(AVRO_TOPIC, async (messages) => {
  let ofNewRow = 0;
  for (const message of messages) if ((await avroKey(message)) === newKey) ofNewRow++;
  return ofNewRow >= 4;
});

const cases: { name: string; json: object; avro: object }[] = [];
// The seed rows (postgres/01-seed.sql) are tenants 1 and 2; their item ids are beyond 2^53, which
// these key texts do not need to hold exactly: both sides round them alike.
const seedTenant = (key: string): number | null => {
  const tenant = (JSON.parse(key) as { tenant_id: number }).tenant_id;
  return tenant === 1 || tenant === 2 ? tenant : null;
};
for (const partitionMessages of avroByPartition.values()) {
  const byKey = new Map<string, Message[]>();
  for (const message of partitionMessages) {
    const key = await avroKey(message);
    byKey.set(key, [...(byKey.get(key) ?? []), message]);
  }
  for (const [key, avroMessages] of byKey) {
    const jsonList = keys.get(key);
    if (!jsonList) continue;
    const label = key === newKey ? 'new' : seedTenant(key) !== null ? `seed-${seedTenant(key)}` : null;
    if (label === null) continue;
    // The last messages of each: the Avro connector started later, so the JSON topic may hold more
    // history of the same key before them.
    const tail = jsonList.slice(-avroMessages.length);
    avroMessages.forEach((message, i) => {
      const json = tail[i]!;
      if (message.value !== null) schemas[message.value.readUInt32BE(1)] ??= '';
      cases.push({
        name: `${label}-${i + 1}`,
        json: { topic: JSON_TOPIC, key: json.key?.toString() ?? null, value: json.value?.toString() ?? null },
        avro: {
          topic: AVRO_TOPIC,
          key: message.key?.toString('base64') ?? null,
          value: message.value?.toString('base64') ?? null,
        },
      });
    });
  }
}
for (const id of Object.keys(schemas)) if (schemas[id] === '') schemas[id] = await schemaText(Number(id));
mkdirSync(OUT, { recursive: true });
cases.sort((a, b) => a.name.localeCompare(b.name));
writeFileSync(new URL('hard_types.json', OUT), JSON.stringify({ schemas, cases }, null, 2) + '\n');
console.log(`captured ${cases.length} cases, ${Object.keys(schemas).length} writer schemas`);
