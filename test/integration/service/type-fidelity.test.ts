// The documents both sinks hold for ordinary Postgres types and their edge values, written out as
// literals (not computed by the project's own reader): extremes, exact decimals, multi-byte text,
// char padding, hostile JSON keys, BC dates, infinity, 24:00, negative intervals, bytes, enums,
// arrays with NULLs, and an all-NULL row. docs/types.md is the table these literals pin; the
// forms are Debezium's, under the connector settings in debezium/postgres-connector.json.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'lossless-json';
import { PUBLICATION } from '../support/run-tables.js';
import { COLUMNS, NULL_DOCUMENT, TYPE_ROWS, edgeDocument } from '../support/type-literals.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

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
    await pg.query(`INSERT INTO inventory.${table} VALUES ${TYPE_ROWS}`);
    await fixture.service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  test('Elasticsearch', async () => {
    const { elasticsearch } = await fixture.storedDocuments(table);
    assert.deepEqual(
      elasticsearch.map((doc) => stringify(doc)),
      [edgeDocument({ $where: { 'a.b': [1, 2, null] }, _bsontype: 'Long' }), NULL_DOCUMENT].map((doc) =>
        stringify(doc),
      ),
    );
  });

  test('MongoDB (keys starting with $ or holding . escaped with their full-width forms)', async () => {
    const { mongodb } = await fixture.storedDocuments(table);
    assert.deepEqual(
      mongodb.map((doc) => stringify(doc)),
      [edgeDocument({ '＄where': { 'a．b': [1, 2, null] }, _bsontype: 'Long' }), NULL_DOCUMENT].map((doc) =>
        stringify(doc),
      ),
    );
  });
});
