// The documents both sinks hold for ordinary Postgres types and their edge values, written out as
// literals (not computed by the project's own reader): extremes, exact decimals, multi-byte text,
// char padding, hostile JSON keys, BC dates, infinity, 24:00, negative intervals, bytes, enums,
// arrays with NULLs, and an all-NULL row. docs/types.md is the table these literals pin; the
// forms are Debezium's, under the connector settings in debezium/postgres-connector.json.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'lossless-json';
import { PUBLICATION } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

const COLUMNS = `id int PRIMARY KEY, i2 smallint, i8 bigint, num numeric(38,10), numv numeric, mon money,
  f4 real, f8 double precision, b boolean, c char(4), t text, u uuid, j jsonb, ip inet, ir int4range,
  d date, ts timestamp, tstz timestamptz, tm time, iv interval, by bytea, e inventory.mood, arr int[], tarr text[]`;

const EDGE_ROW = `(1, -32768, 9223372036854775807, 12345678901234567890.0123456789, 1.2436200, 92233720368547758.07,
  3.4e38, 1e308, true, 'a', '日本語 ✓', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"$where": {"a.b": [1, 2, null]}}',
  '::1', '[1,5)', '0044-03-15 BC', '2024-02-29 23:59:59.999999', 'infinity', '24:00:00',
  '-1 year 2 mons 3 days 04:05:06.789', '\\x00ff', 'sad', '{1,NULL,3}', '{"",x}')`;

/** Row 1 as both sinks store it, but for the JSON keys (MongoDB escapes `$` and `.`). */
const edgeDocument = (json: unknown) => ({
  id: 1,
  i2: -32768,
  i8: 9223372036854775807n,
  num: '12345678901234567890.0123456789',
  numv: '1.24362',
  mon: '92233720368547758.07',
  f4: 3.4e38,
  f8: 1e308,
  b: true,
  c: 'a   ',
  t: '日本語 ✓',
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  j: json,
  ip: '::1',
  ir: '[1,5)',
  d: '-000043-03-15',
  ts: '2024-02-29T23:59:59.999999',
  tstz: 'infinity',
  tm: '24:00:00.000000',
  iv: 'P0Y-10M3DT4H5M6.789S',
  by: 'AP8=',
  e: 'sad',
  arr: [1, null, 3],
  tarr: ['', 'x'],
});

/** Row 2: every column NULL. */
const NULL_DOCUMENT = Object.fromEntries(
  Object.keys(edgeDocument(null)).map((name) => [name, name === 'id' ? 2 : null]),
);

describe('type fidelity: the stored documents, as literals', { timeout: 180_000 }, () => {
  const run = uniqueRunId('fidelity');
  const table = `${run.replace(/-/g, '_')}_types`;
  const fixture = new TestRun(run, { ownTables: [table] });

  before(async () => {
    const { pg } = (await fixture.open()).stores;
    await pg.query('BEGIN');
    await pg.query(`CREATE TABLE inventory.${table} (${COLUMNS})`);
    await pg.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${table}`);
    await pg.query('COMMIT');
    await pg.query(
      `INSERT INTO inventory.${table} VALUES ${EDGE_ROW}, (2${', NULL'.repeat(Object.keys(NULL_DOCUMENT).length - 1)})`,
    );
    await fixture.service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  test('Elasticsearch', async () => {
    const index = `${run}-inventory.${table}`;
    await fixture.stores.es.indices.refresh({ index });
    const { hits } = await fixture.stores.es.search({ index, size: 10, sort: ['id'] });
    assert.deepEqual(
      hits.hits.map((hit) => stringify(hit._source)),
      [edgeDocument({ $where: { 'a.b': [1, 2, null] } }), NULL_DOCUMENT].map((doc) => stringify(doc)),
    );
  });

  test('MongoDB (keys starting with $ or holding . escaped with their full-width forms)', async () => {
    const docs = await fixture.mongo
      .db(fixture.env.MONGODB_DATABASE)
      .collection(`inventory.${table}`)
      .find({}, { projection: { _id: 0, _cdc_lsn: 0 } })
      .sort({ id: 1 })
      .toArray();
    assert.deepEqual(
      docs.map((doc) => stringify(doc)),
      [edgeDocument({ '＄where': { 'a．b': [1, 2, null] } }), NULL_DOCUMENT].map((doc) => stringify(doc)),
    );
  });
});
