// Per-table routing through the TABLES setting, end to end: a table sent to one sink only, renamed
// targets, excluded and included columns, decimals as numbers. verify applies the same routes, so
// both sinks must still equal Postgres field by field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import type { Stores } from '../support/converge.js';
import { sampleSum } from '../support/metrics.js';
import { runTableNames } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

const HARD_TYPES_COLUMNS = ['tenant_id', 'item_id', 'big', 'exact', 'doc', 'tags'];

describe('per-table routing (TABLES)', { timeout: 180_000 }, () => {
  const run = uniqueRunId('routing');
  // This run's copies of customers, orders and hard_types (see support/run-tables.ts).
  const tables = runTableNames(run);
  const { customers, orders, hard_types: hardTypes } = tables.names;
  const customersIndex = `${run}-people`;
  const routes = {
    [`inventory.${orders}`]: { sinks: ['mongodb'], decimal: 'double' },
    [`inventory.${customers}`]: {
      elasticsearchIndex: customersIndex,
      mongodbCollection: 'people',
      excludeColumns: ['email'],
    },
    [`inventory.${hardTypes}`]: { includeColumns: HARD_TYPES_COLUMNS },
  };
  const fixture = new TestRun(run, { env: { TABLES: JSON.stringify(routes) } });
  const { service } = fixture;
  const converge = () => fixture.converge();
  let stores: Stores;
  let mongo: MongoClient;

  before(async () => {
    ({ stores, mongo } = await fixture.open());
    await service.start();
  });

  after(() => fixture.close());

  test('every routed table converges, to the targets TABLES names', async () => {
    const reports = await converge();
    const targets = reports.map((report) => `${report.sink} ${report.table} -> ${report.target}`).sort();
    assert.deepEqual(
      targets,
      [
        `elasticsearch inventory.${customers} -> ${customersIndex}`,
        `elasticsearch inventory.${hardTypes} -> ${run}-inventory.${hardTypes}`,
        `mongodb inventory.${customers} -> people`,
        `mongodb inventory.${hardTypes} -> inventory.${hardTypes}`,
        `mongodb inventory.${orders} -> inventory.${orders}`,
      ].sort(),
    );
    assert.ok(reports.every((report) => report.sourceRows > 0 && report.sinkDocuments === report.sourceRows));
  });

  test('changes after the snapshot follow the routes too', async () => {
    const { pg } = stores;
    const { rows } = await pg.query<{ id: number }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'Routed' || g, 'Person', '${run}-' || g || '@example.com' FROM generate_series(1, 5) g RETURNING id`,
    );
    const ids = rows.map((row) => row.id);
    await pg.query(`UPDATE inventory.${customers} SET last_name = 'Renamed' WHERE id = $1`, [ids[0]]);
    const order = await pg.query<{ id: number }>(
      `INSERT INTO inventory.${orders} (order_date, purchaser, quantity, product, amount)
       VALUES ('2026-11-23', $1, 2, 'routing rope', 12.30) RETURNING id`,
      [ids[0]],
    );
    await pg.query(`UPDATE inventory.${orders} SET amount = 1234567.89 WHERE id = $1`, [order.rows[0]!.id]);
    await pg.query(`DELETE FROM inventory.${customers} WHERE id = $1`, [ids[4]]);
    await converge();

    const person = await mongo
      .db(run)
      .collection('people')
      .findOne({ _id: String(ids[0]) as never });
    assert.equal(person?.last_name, 'Renamed');
    const stored = await mongo
      .db(run)
      .collection(`inventory.${orders}`)
      .findOne({ _id: String(order.rows[0]!.id) as never });
    assert.equal(stored?.amount, 1234567.89);
  });

  test('orders go to MongoDB only: no Elasticsearch index for them, ever', async () => {
    const { es } = stores;
    // Only this run's names are asserted: other consumers of the shared Kafka (a demo, a bench)
    // may index the run's topics under their own names.
    assert.equal(await es.indices.exists({ index: `${run}-inventory.${orders}` }), false);
    // The names the service writes to are the aliases in front of its indices.
    const indices = Object.values(await es.indices.get({ index: `${run}-*` }))
      .flatMap((index) => Object.keys(index.aliases ?? {}))
      .sort();
    assert.deepEqual(indices, [customersIndex, `${run}-inventory.${hardTypes}`].sort());

    const collections = (await mongo.db(run).listCollections().toArray()).map((c) => c.name).sort();
    assert.deepEqual(collections, [`inventory.${hardTypes}`, `inventory.${orders}`, 'people'].sort());

    const metrics = (await service.get('/metrics')).body;
    const ordersTable = { table: `inventory.${orders}` };
    assert.ok(
      sampleSum(metrics, 'cdc_fanout_events_consumed_total', { ...ordersTable, sink: 'elasticsearch' }) > 0,
      'the Elasticsearch pipeline reads the orders topic',
    );
    assert.equal(
      sampleSum(metrics, 'cdc_fanout_sink_writes_total', { ...ordersTable, sink: 'elasticsearch' }),
      0,
    );
    assert.ok(sampleSum(metrics, 'cdc_fanout_sink_writes_total', { ...ordersTable, sink: 'mongodb' }) > 0);
  });

  test('an excluded column (customers.email) is stored in neither sink', async () => {
    const { es } = stores;
    await es.indices.refresh({ index: customersIndex });
    const total = await es.count({ index: customersIndex });
    assert.ok(total.count > 0);
    const withEmail = await es.count({ index: customersIndex, query: { exists: { field: 'email' } } });
    assert.equal(withEmail.count, 0, 'no Elasticsearch customer document has an email field');
    const sample = await es.search<Record<string, unknown>>({ index: customersIndex, size: 5 });
    for (const hit of sample.hits.hits) {
      assert.deepEqual(Object.keys(hit._source!).sort(), ['created_at', 'first_name', 'id', 'last_name']);
    }

    const people = mongo.db(run).collection('people');
    assert.ok((await people.countDocuments()) > 0);
    assert.equal(await people.countDocuments({ email: { $exists: true } }), 0);
    for (const doc of await people.find().limit(5).toArray()) {
      assert.deepEqual(
        Object.keys(doc).sort(),
        [POSITION_FIELD, '_id', 'created_at', 'first_name', 'id', 'last_name'].sort(),
      );
    }
  });

  test('includeColumns keeps only the listed hard_types columns', async () => {
    const { es } = stores;
    const index = `${run}-inventory.${hardTypes}`;
    await es.indices.refresh({ index });
    const hits = (await es.search<Record<string, unknown>>({ index, size: 100 })).hits.hits;
    assert.ok(hits.length > 0);
    for (const hit of hits) {
      const extra = Object.keys(hit._source!).filter((field) => !HARD_TYPES_COLUMNS.includes(field));
      assert.deepEqual(extra, [], `document ${hit._id} has unlisted columns`);
      assert.ok(Object.hasOwn(hit._source!, 'tenant_id') && Object.hasOwn(hit._source!, 'item_id'));
    }
    const docs = await mongo.db(run).collection(`inventory.${hardTypes}`).find().toArray();
    assert.equal(docs.length, hits.length);
    for (const doc of docs) {
      const extra = Object.keys(doc).filter(
        (field) => field !== '_id' && field !== POSITION_FIELD && !HARD_TYPES_COLUMNS.includes(field),
      );
      assert.deepEqual(extra, [], `document ${String(doc._id)} has unlisted columns`);
      assert.equal(Object.hasOwn(doc, 'big_text'), false);
    }
  });

  test('decimal "double" stores orders.amount as a number equal to the Postgres value', async () => {
    const { rows } = await stores.pg.query<{ id: number; amount: string }>(
      `SELECT id, amount::text AS amount FROM inventory.${orders}`,
    );
    const docs = await mongo.db(run).collection(`inventory.${orders}`).find().toArray();
    assert.equal(docs.length, rows.length);
    const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
    for (const row of rows) {
      const amount = byId.get(String(row.id))?.amount;
      assert.equal(typeof amount, 'number', `order ${row.id}: amount ${String(amount)} is not a number`);
      assert.equal(amount, Number(row.amount));
    }
    // The other tables keep the exact default: a numeric stays a string.
    const hard = await mongo.db(run).collection(`inventory.${hardTypes}`).findOne({ tenant_id: 1 });
    assert.equal(typeof hard?.exact, 'string');
  });
});
