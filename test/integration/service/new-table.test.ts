// A table created while the service runs: once Debezium publishes its topic, the service finds it
// (KAFKA_TOPIC_REFRESH_MS), subscribes again, and the new table reaches both sinks from its start.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { waitForConvergence, type Stores } from '../support/converge.js';
import { deleteIndices, dropDatabases } from '../support/cleanup.js';
import { instanceEnv } from '../support/run.js';
import { ServiceProcess } from '../support/service.js';
import { elasticsearch, mongodb, postgres, uniqueRunId } from '../support/stack.js';

const CONNECT_URL = process.env.CONNECT_URL ?? 'http://127.0.0.1:8083';
const run = uniqueRunId('newtable');
const table = run.replace(/-/g, '_');
const env = { ...instanceEnv(run), KAFKA_TOPIC_REFRESH_MS: '1000' };
const service = new ServiceProcess(env);
let stores: Stores;
let mongo: MongoClient;

/**
 * Debezium adds tables to its filtered publication when its task starts; changes made before the
 * table is in the publication are not captured, so wait for that, not just for RUNNING.
 */
async function restartConnectorFor(name: string): Promise<void> {
  const response = await fetch(`${CONNECT_URL}/connectors/cdc-inventory/restart?includeTasks=true`, {
    method: 'POST',
  });
  assert.ok(response.status < 300, `connector restart answered ${response.status}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await (await fetch(`${CONNECT_URL}/connectors/cdc-inventory/status`)).json()) as {
      connector: { state: string };
      tasks: Array<{ state: string }>;
    };
    const published = await stores.pg.query(
      `SELECT 1 FROM pg_publication_tables WHERE pubname = 'cdc_fanout' AND schemaname = 'inventory' AND tablename = $1`,
      [name],
    );
    const running =
      status.connector.state === 'RUNNING' && status.tasks.every((task) => task.state === 'RUNNING');
    if (running && published.rowCount === 1) return;
    assert.ok(Date.now() < deadline, `connector not running again: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

before(async () => {
  mongo = await mongodb();
  stores = { pg: await postgres(), es: elasticsearch(), mongo };
  await service.start();
  await service.waitUntilReady();
});

after(async () => {
  await service.kill('SIGTERM');
  await stores.pg.query(`DROP TABLE IF EXISTS inventory.${table}`);
  await deleteIndices(stores.es, `${run}-*`);
  await dropDatabases(mongo, [run]);
  await mongo.close();
  await stores.pg.end();
});

test('a table created after start reaches both sinks', async () => {
  await stores.pg.query(`CREATE TABLE inventory.${table} (id bigint PRIMARY KEY, label text NOT NULL)`);
  await restartConnectorFor(table);
  await stores.pg.query(`INSERT INTO inventory.${table} SELECT g, 'row ' || g FROM generate_series(1, 25) g`);
  await stores.pg.query(`UPDATE inventory.${table} SET label = 'changed' WHERE id <= 5`);
  await stores.pg.query(`DELETE FROM inventory.${table} WHERE id > 20`);
  await service.waitForLog((line) => line.msg === 'new table topics: resubscribing', 60_000);
  const reports = await waitForConvergence(stores, env, { tables: [table] });
  assert.deepEqual(
    reports.map((report) => [report.sink, report.sourceRows, report.sinkDocuments]),
    [
      ['elasticsearch', 20, 20],
      ['mongodb', 20, 20],
    ],
  );
});
