// End to end through the real stack: rows changed in Postgres reach Elasticsearch and MongoDB
// through Debezium and Kafka, and both sinks end equal to Postgres field by field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { deleteIndices, dropDatabases } from '../support/cleanup.js';
import { instanceEnv } from '../support/run.js';
import { ServiceProcess } from '../support/service.js';
import { elasticsearch, mongodb, postgres, uniqueRunId } from '../support/stack.js';
import { waitForConvergence, type Stores } from '../support/converge.js';
import { sampleValue } from '../support/metrics.js';
import { LIVE_DOCUMENTS } from '../../../src/sinks/mongodb/tombstone.js';

describe('streaming into both sinks', () => {
  const run = uniqueRunId('stream');
  const env = instanceEnv(run);
  const service = new ServiceProcess(env);
  let stores: Stores;
  let mongo: MongoClient;

  before(async () => {
    mongo = await mongodb();
    stores = { pg: await postgres(), es: elasticsearch(), mongo };
    await service.start();
  });

  after(async () => {
    await service.kill('SIGTERM');
    await deleteIndices(stores.es, `${run}-*`);
    await dropDatabases(mongo, [run]);
    await mongo.close();
    await stores.pg.end();
  });

  test('the snapshot and every existing row arrive in both sinks', async () => {
    const reports = await waitForConvergence(stores, env);
    assert.equal(reports.length, 6, 'three tables in two sinks');
    assert.ok(reports.every((report) => report.sourceRows > 0 && report.sinkDocuments === report.sourceRows));
    await service.waitUntilReady();
  });

  test('inserts, updates and deletes', async () => {
    const { pg } = stores;
    const inserted = await pg.query<{ id: number }>(
      `INSERT INTO inventory.customers (first_name, last_name, email)
       SELECT 'Name' || g, 'Stream', '${run}-' || g || '@example.com' FROM generate_series(1, 20) g RETURNING id`,
    );
    const ids = inserted.rows.map((row) => row.id);
    await pg.query(`UPDATE inventory.customers SET last_name = 'Updated' WHERE id = ANY($1)`, [
      ids.slice(0, 10),
    ]);
    await pg.query(`DELETE FROM inventory.customers WHERE id = ANY($1)`, [ids.slice(15)]);
    await pg.query(
      `INSERT INTO inventory.orders (order_date, purchaser, quantity, product, amount) VALUES ('2026-11-23', $1, 3, 'rope', 12.30)`,
      [ids[0]],
    );
    await waitForConvergence(stores, env);
    const doc = await mongo
      .db(run)
      .collection('inventory.customers')
      .findOne({ _id: String(ids[0]) as never });
    assert.equal(doc?.last_name, 'Updated');
    assert.equal(
      await mongo
        .db(run)
        .collection('inventory.customers')
        .countDocuments({ _id: String(ids[19]) as never, ...LIVE_DOCUMENTS }),
      0,
      'deleted: at most its tombstone is left',
    );
  });

  test('a row deleted and re-inserted in one transaction ends as the new row', async () => {
    const { pg } = stores;
    const { rows } = await pg.query<{ id: number }>(
      `INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Once', 'Before', '${run}-again@example.com') RETURNING id`,
    );
    const id = rows[0]!.id;
    await pg.query('BEGIN');
    await pg.query('DELETE FROM inventory.customers WHERE id = $1', [id]);
    await pg.query(
      `INSERT INTO inventory.customers (id, first_name, last_name, email) VALUES ($1, 'Twice', 'After', '${run}-again@example.com')`,
      [id],
    );
    await pg.query('COMMIT');
    await waitForConvergence(stores, env);
    const stored = await stores.es.get<{ first_name: string }>({
      index: `${run}-inventory.customers`,
      id: String(id),
    });
    assert.equal(stored._source?.first_name, 'Twice');
  });

  test('hard types with a composite key: 64-bit integers, decimals, times, JSON, arrays, bytes', async () => {
    const tenant = 1000 + Math.floor(Math.random() * 1_000_000);
    await stores.pg.query(
      `INSERT INTO inventory.hard_types VALUES
        ($1, 9223372036854775806, -9007199254740993, 9999999999999999999999999999.9999999999, 1.2436200,
         -92233720368547758.08, 1e-300, '2262-04-11 23:47:16.854775+00', '0001-01-01 00:00:00.000001', '9999-12-31',
         '23:59:59.999999', '23:59:59.999999-12:00', '-178000000 years 21.965973 seconds', gen_random_uuid(),
         '{"deep": {"er": [{"$gt": ""}, {"x": 1}]}, "big": 9007199254740993}', ARRAY['', 'ünïcödé', E'\\t'],
         '\\x00ff', 'ok', NULL, repeat('x', 100000))`,
      [tenant],
    );
    await waitForConvergence(stores, env);
    const { _source } = await stores.es.get<Record<string, unknown>>({
      index: `${run}-inventory.hard_types`,
      id: JSON.stringify([String(tenant), '9223372036854775806']),
    });
    assert.equal(_source?.item_id, 9223372036854775806n);
    assert.equal(_source?.exact, '9999999999999999999999999999.9999999999');
  });

  test('an update that leaves a TOASTed column unchanged keeps its stored value', async () => {
    const before = await stores.pg.query<{ length: number }>(
      'SELECT length(big_text) AS length FROM inventory.hard_types WHERE tenant_id = 1',
    );
    assert.ok(before.rows[0]!.length > 10_000, 'the seed row carries a TOASTed big_text');
    await stores.pg.query('UPDATE inventory.hard_types SET flag = NOT flag WHERE tenant_id = 1');
    await waitForConvergence(stores, env);
    const doc = await mongo.db(run).collection('inventory.hard_types').findOne({ tenant_id: 1 });
    assert.equal((doc?.big_text as string).length, before.rows[0]!.length);
  });

  test('the metrics count each event and write once', async () => {
    const scrape = async () => (await service.get('/metrics')).body;
    const beforeText = await scrape();
    const count = 7;
    await stores.pg.query(
      `INSERT INTO inventory.customers (first_name, last_name, email)
       SELECT 'Metric', 'Counted', '${run}-m' || g || '@example.com' FROM generate_series(1, ${count}) g`,
    );
    await waitForConvergence(stores, env);
    const afterText = await scrape();
    for (const sink of ['elasticsearch', 'mongodb']) {
      const consumed = { sink, table: 'inventory.customers', op: 'c' };
      const written = { sink, table: 'inventory.customers', result: 'written' };
      assert.equal(
        sampleValue(afterText, 'cdc_fanout_events_consumed_total', consumed) -
          sampleValue(beforeText, 'cdc_fanout_events_consumed_total', consumed),
        count,
      );
      assert.equal(
        sampleValue(afterText, 'cdc_fanout_sink_writes_total', written) -
          sampleValue(beforeText, 'cdc_fanout_sink_writes_total', written),
        count,
      );
      assert.equal(sampleValue(afterText, 'cdc_fanout_sink_up', { sink }), 1);
      assert.ok(
        sampleValue(afterText, 'cdc_fanout_end_to_end_latency_seconds_count', {
          sink,
          table: 'inventory.customers',
        }) >= count,
      );
    }
    assert.ok(sampleValue(afterText, 'cdc_fanout_process_resident_memory_bytes', {}) > 0);
  });

  test('SIGTERM stops the service cleanly with exit code 0', async () => {
    assert.equal(await service.kill('SIGTERM'), 0);
    assert.ok(service.lines.some((line) => line.msg === 'cdc-fanout stopped'));
  });
});
