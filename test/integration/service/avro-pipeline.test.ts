// The service on the Avro pipeline: the stack's Avro connector (Confluent wire format, Apicurio
// Registry) feeds it, and both sinks must hold exactly what the JSON path stores: the type-fidelity
// literals (support/type-literals.ts), a copy of the demo hard_types rows checked by verify, a NULL
// in a column with a DEFAULT, and a column added while streaming. Skips, saying why, when the
// registry or the Avro connector is not up (bash stack/up.sh registry).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'lossless-json';
import { avroStack, avroStackMissing, avroTableTopic } from '../support/avro.js';
import { runCli } from '../support/cli.js';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';
import { COLUMNS, NULL_DOCUMENT, TYPE_ROWS, edgeDocument } from '../support/type-literals.js';

const skip = await avroStackMissing();
if (skip) console.log(`# skipping the Avro pipeline tests: ${skip}`);

const run = uniqueRunId('avro');
const prefix = run.replace(/-/g, '_');
const types = `${prefix}_types`;
const hardTypes = `${prefix}_hard_types`;
const defaults = `${prefix}_defaults`;
const tables = [types, hardTypes, defaults];
const topics = tables.map((table) => avroTableTopic(table));
const fixture = new TestRun(run, {
  ownTables: tables,
  env: {
    KAFKA_TOPICS: topics.join(','),
    DEBEZIUM_TOPIC_PREFIX: avroStack.topicPrefix,
    REGISTRY_URL: avroStack.registryUrl,
  },
});

async function mongoDocs(table: string): Promise<string[]> {
  return (await fixture.storedDocuments(table)).mongodb.map((doc) => stringify(doc)!);
}

async function esDocs(table: string): Promise<string[]> {
  return (await fixture.storedDocuments(table)).elasticsearch.map((doc) => stringify(doc)!);
}

describe('the Avro pipeline', { skip, timeout: 240_000 }, () => {
  before(async () => {
    const { pg } = (await fixture.open()).stores;
    await pg.query('BEGIN');
    await pg.query(`CREATE TABLE inventory.${types} (${COLUMNS})`);
    await pg.query(`CREATE TABLE inventory.${hardTypes} (LIKE inventory.hard_types INCLUDING ALL)`);
    await pg.query(
      `CREATE TABLE inventory.${defaults} (id int PRIMARY KEY, flag boolean DEFAULT true, n int DEFAULT 7)`,
    );
    await pg.query(
      `ALTER PUBLICATION ${avroStack.publication} ADD TABLE ${tables.map((t) => `inventory.${t}`).join(', ')}`,
    );
    await pg.query('COMMIT');
    await pg.query(`INSERT INTO inventory.${types} VALUES ${TYPE_ROWS}`);
    await pg.query(`INSERT INTO inventory.${hardTypes} SELECT * FROM inventory.hard_types`);
    // A timestamp of ±infinity is a MicroTimestamp beyond 2^53 (the generator writes them too).
    await pg.query(
      `INSERT INTO inventory.${hardTypes} (tenant_id, item_id, ts) VALUES (-1, 1, 'infinity'), (-1, 2, '-infinity')`,
    );
    await pg.query(`INSERT INTO inventory.${defaults} VALUES (1, NULL, NULL)`);
    await pg.query(`INSERT INTO inventory.${defaults} (id) VALUES (2)`);
    await pollUntil(
      `the Avro connector to create ${topics.join(', ')}`,
      async () => {
        const existing = new Set(await fixture.admin.listTopics());
        return topics.every((topic) => existing.has(topic));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await fixture.service.start();
    await fixture.converge();
  });

  after(() =>
    fixture.close(async () => {
      await deleteGroupsAndTopics(fixture.admin, [], topics);
    }),
  );

  test('the type-fidelity rows are stored as the JSON path stores them (Elasticsearch)', async () => {
    assert.deepEqual(
      await esDocs(types),
      [edgeDocument({ $where: { 'a.b': [1, 2, null] }, _bsontype: 'Long' }), NULL_DOCUMENT].map((doc) =>
        stringify(doc),
      ),
    );
  });

  test('the type-fidelity rows are stored as the JSON path stores them (MongoDB)', async () => {
    assert.deepEqual(
      await mongoDocs(types),
      [edgeDocument({ '＄where': { 'a．b': [1, 2, null] }, _bsontype: 'Long' }), NULL_DOCUMENT].map((doc) =>
        stringify(doc),
      ),
    );
  });

  test("the demo hard_types rows and ±infinity timestamps agree with Postgres in both sinks (verify's column by column check)", async () => {
    const reports = await fixture.converge({ tables: [hardTypes] });
    assert.ok(reports.length > 0);
    const mongo = await fixture.mongo
      .db(fixture.env.MONGODB_DATABASE)
      .collection(`inventory.${hardTypes}`)
      .countDocuments();
    const { rows } = await fixture.stores.pg.query(`SELECT count(*)::int AS n FROM inventory.${hardTypes}`);
    assert.equal(mongo, rows[0].n);
  });

  test('a NULL in a column with a DEFAULT is stored NULL; an omitted value as its default', async () => {
    const expected = [
      { id: 1, flag: null, n: null },
      { id: 2, flag: true, n: 7 },
    ].map((doc) => stringify(doc));
    assert.deepEqual(await esDocs(defaults), expected);
    assert.deepEqual(await mongoDocs(defaults), expected);
  });

  test('a column added while streaming is picked up (a new writer schema id)', async () => {
    const { pg } = fixture.stores;
    await pg.query(`ALTER TABLE inventory.${defaults} ADD COLUMN note text`);
    await pg.query(`INSERT INTO inventory.${defaults} VALUES (3, false, 3, 'added')`);
    // Every row written again under the new schema, so every document has the column.
    await pg.query(`UPDATE inventory.${defaults} SET n = 8, note = 'later' WHERE id = 2`);
    await pg.query(`UPDATE inventory.${defaults} SET note = NULL WHERE id = 1`);
    await fixture.converge({ tables: [defaults] });
    const expected = [
      { id: 1, flag: null, n: null, note: null },
      { id: 2, flag: true, n: 8, note: 'later' },
      { id: 3, flag: false, n: 3, note: 'added' },
    ].map((doc) => stringify(doc));
    assert.deepEqual(await esDocs(defaults), expected);
    assert.deepEqual(await mongoDocs(defaults), expected);
  });

  test('verify sees drift in an Avro-fed table and resync repairs it, as for a JSON-fed one', async () => {
    await fixture.mongo
      .db(fixture.env.MONGODB_DATABASE)
      .collection(`inventory.${hardTypes}`)
      .deleteOne({ tenant_id: 2 });
    const cli = (...args: string[]) => runCli(fixture.env, args);
    const table = `inventory.${hardTypes}`;
    const drift = await cli('verify', '--table', table);
    assert.equal(drift.code, 1, `${drift.stdout}\n${drift.stderr}`);
    const resync = await cli('resync', '--table', table, '--sink', 'mongodb');
    assert.equal(resync.code, 0, `${resync.stdout}\n${resync.stderr}`);
    const verify = await cli('verify', '--table', table);
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
  });
});
