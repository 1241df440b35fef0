// The schema registry going away and coming back while Avro records wait: the service, which has
// not seen their writer schema yet, holds them back (retrying, not ready), dead-letters nothing,
// and writes every row once the registry answers again. The stack's registry keeps its schemas in
// a file, so the ids in the records still mean what they meant. Stops and starts the stack's
// registry component: only the Avro tests use it. Skips when the Avro stack is not up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { avroStack, avroStackMissing, avroTableTopic } from '../support/avro.js';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { componentHealthy, startComponent, stopComponent } from '../support/stack-control.js';
import { uniqueRunId } from '../support/stack.js';

const skip = await avroStackMissing();
if (skip) console.log(`# skipping the registry restart test: ${skip}`);

const ROWS = 200;
const run = uniqueRunId('avro-restart');
const table = `${run.replace(/-/g, '_')}_rows`;
const topic = avroTableTopic(table);
const fixture = new TestRun(run, {
  ownTables: [table],
  env: {
    KAFKA_TOPICS: topic,
    DEBEZIUM_TOPIC_PREFIX: avroStack.topicPrefix,
    REGISTRY_URL: avroStack.registryUrl,
  },
});

/** Restarts the Avro connector's task if it failed while the registry was away (what an operator does). */
async function restartFailedConnectorTask(): Promise<void> {
  const url = `${avroStack.connectUrl}/connectors/${avroStack.connector}`;
  const status = (await (await fetch(`${url}/status`)).json()) as { tasks: { state: string }[] };
  if (status.tasks.some((task) => task.state === 'FAILED')) {
    await fetch(`${url}/restart?includeTasks=true&onlyFailed=true`, { method: 'POST' });
  }
}

async function deadLetterCount(): Promise<number> {
  const dlq = fixture.env.DEAD_LETTER_TOPIC;
  if (!(await fixture.admin.listTopics()).includes(dlq)) return 0;
  const offsets = await fixture.admin.fetchTopicOffsets(dlq);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

describe('the schema registry restarted while Avro records wait', { skip, timeout: 300_000 }, () => {
  before(async () => {
    const { pg } = (await fixture.open()).stores;
    await pg.query(`CREATE TABLE inventory.${table} (id int PRIMARY KEY, note text)`);
    await pg.query(`ALTER PUBLICATION ${avroStack.publication} ADD TABLE inventory.${table}`);
    // The first row registers the table's schemas (the converter caches them from then on).
    await pg.query(`INSERT INTO inventory.${table} VALUES (1, 'first')`);
    await pollUntil(`the Avro connector to create ${topic}`, async () =>
      (await fixture.admin.listTopics()).includes(topic),
    );
  });

  after(async () => {
    if (!(await componentHealthy('registry'))) await startComponent('registry');
    await restartFailedConnectorTask();
    await fixture.close(async () => deleteGroupsAndTopics(fixture.admin, [], [topic]));
  });

  test('the service waits, not ready, dead-letters nothing, and loses no row', async () => {
    await stopComponent('registry');
    await fixture.stores.pg.query(
      `INSERT INTO inventory.${table} SELECT n, 'row ' || n FROM generate_series(2, ${ROWS}) AS n`,
    );
    await fixture.service.start();
    await fixture.service.waitForLog((line) => line.msg === 'schema-registry failed, retrying');
    const readiness = await fixture.service.readiness();
    assert.equal(readiness.ready, false, 'not ready while the registry is away');
    await startComponent('registry');
    await restartFailedConnectorTask();
    await fixture.converge();
    const { rows } = await fixture.stores.pg.query(`SELECT count(*)::int AS n FROM inventory.${table}`);
    assert.equal(rows[0].n, ROWS);
    assert.equal(await deadLetterCount(), 0, 'nothing was dead-lettered');
  });
});
