// TRUNCATE of a table whose topic has several partitions. Debezium sends the truncate with no key,
// so it lands on one partition while changes from before it sit on the others and may be written
// after it; and a change written just before the truncate must not survive it either. The
// records are Debezium's own (an insert, the truncate, an insert after it), produced again into a
// topic of two partitions so that the order is certain; a proxy in front of the real
// Elasticsearch holds the older insert's write until the truncate was applied.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createSink } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load.js';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { endOffsets, readWholeTopic, waitForCommitted, type ReadMessage } from '../support/kafka-tools.js';
import { PUBLICATION } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import { stack, tableTopic, uniqueRunId } from '../support/stack.js';

const op = (message: ReadMessage) =>
  message.value === null
    ? null
    : (JSON.parse(message.value.toString()) as { payload: { op: string } }).payload.op;

describe('TRUNCATE on a topic of several partitions', () => {
  const run = uniqueRunId('truncate');
  const table = `${run.replace(/-/g, '_')}_items`;
  const replayed = `${run}.replayed`;
  const proxy = new DelayProxy(new URL(stack.elasticsearchUrl));
  const fixture = new TestRun(run, {
    ownTables: [table],
    producer: true,
    env: {
      SINKS: 'elasticsearch',
      KAFKA_TOPICS: replayed,
      TABLES: JSON.stringify({ [`inventory.${table}`]: { truncate: 'delete' } }),
    },
  });
  const index = `${run}-inventory.${table}`;

  before(async () => {
    fixture.env.ELASTICSEARCH_URL = await proxy.listen();
    await fixture.open();
    const { pg } = fixture.stores;
    await pg.query('BEGIN');
    await pg.query(`CREATE TABLE inventory.${table} (id int PRIMARY KEY, v text NOT NULL)`);
    await pg.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${table}`);
    await pg.query('COMMIT');
  });

  after(() =>
    fixture.close(async () => {
      await deleteGroupsAndTopics(fixture.admin, [], [replayed]);
      await proxy.close();
    }),
  );

  test('only the rows written after the truncate remain, whatever the order of the partitions', async () => {
    const { pg, es } = fixture.stores;
    await pg.query(`INSERT INTO inventory.${table} VALUES (1, 'early-row')`);
    await pg.query(`INSERT INTO inventory.${table} VALUES (2, 'late-row')`);
    await pg.query(`TRUNCATE inventory.${table}`);
    await pg.query(`INSERT INTO inventory.${table} VALUES (3, 'after-truncate')`);
    const source = tableTopic(table);
    let records: ReadMessage[] = [];
    for (let tries = 0; records.filter((m) => op(m)).length < 4 && tries < 60; tries++) {
      records = await readWholeTopic(fixture.admin, source);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const byValue = (text: string) => records.find((m) => m.value?.toString().includes(text))!;
    const truncateRecord = records.find((m) => op(m) === 't')!;
    assert.ok(truncateRecord, 'Debezium sent the truncate');
    assert.equal(truncateRecord.key, null, 'a truncate has no key');

    // Partition 0: an insert written just before the truncate, then the truncate.
    // Partition 1: an insert from before the truncate, held back until after it, then one after it.
    await fixture.admin.createTopics({ topics: [{ topic: replayed, numPartitions: 2 }] });
    const resend = (message: ReadMessage) => ({ key: message.key, value: message.value });
    await fixture.producer.send({
      topic: replayed,
      messages: [
        { partition: 0, ...resend(byValue('early-row')) },
        { partition: 0, ...resend(truncateRecord) },
        { partition: 1, ...resend(byValue('late-row')) },
        { partition: 1, ...resend(byValue('after-truncate')) },
      ],
    });
    proxy.hold({ pattern: /_bulk/, body: /late-row/, ms: 4000 });
    await fixture.service.start();
    await waitForCommitted(
      fixture.admin,
      [`${run}.elasticsearch`],
      await endOffsets(fixture.admin, [replayed]),
    );
    assert.ok(proxy.held.length > 0, 'the older insert was held back');

    await es.indices.refresh({ index });
    const { hits } = await es.search<{ v: string }>({ index, size: 10 });
    assert.deepEqual(
      hits.hits.map((hit) => [hit._id, hit._source?.v]),
      [['3', 'after-truncate']],
    );
  });

  test('MongoDB keeps the truncate mark (never lowered) and deletes what is stored below it', async () => {
    const config = loadConfig({ ...process.env, ...fixture.env });
    const sink = createSink('mongodb', config, pino({ level: 'silent' }));
    const collection = fixture.mongo
      .db(fixture.env.MONGODB_DATABASE)
      .collection<{ _id: string } & Record<string, unknown>>('marked');
    try {
      await sink.connect();
      await collection.insertMany([
        { _id: 'before', [POSITION_FIELD]: 0x2000000n },
        { _id: 'after', [POSITION_FIELD]: 0x4000000n },
      ]);
      await sink.truncate('marked', { position: 0x3000000n, commitTsMs: 2_000 });
      await sink.truncate('marked', { position: 0x2800000n, commitTsMs: 1_000 });
      assert.deepEqual(
        await sink.truncateMarks(['marked', 'never-truncated']),
        new Map([['marked', { position: 0x3000000n, commitTsMs: 2_000 }]]),
      );
      assert.deepEqual(
        (await collection.find().toArray()).map((doc) => doc._id),
        ['after'],
      );
    } finally {
      await sink.close();
    }
  });
});
