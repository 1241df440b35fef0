// A transaction held open across a Debezium incremental snapshot: it changed a row before the
// snapshot read that row (so the read holds the old value) and commits after the read was
// emitted. Its change has a lower LSN than the read, yet it is the newer state: both sinks must
// end with it. Written at the read's LSN, the snapshot document refused it for good.
//
// The test registers a connector of its own (own slot, publication, topic prefix and signal table)
// on the stack's Connect worker, with no initial snapshot, and starts an incremental snapshot by
// a signal row, as a user would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import { deleteGroupsAndTopics } from '../support/cleanup.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { postgres, stack, uniqueRunId } from '../support/stack.js';

const CONNECT_URL = process.env.CONNECT_URL ?? 'http://127.0.0.1:8083';

describe('a transaction open across an incremental snapshot', () => {
  const run = uniqueRunId('snapshot');
  const name = run.replace(/-/g, '_');
  const schema = name;
  const prefix = `${name}_cdc`;
  const topic = `${prefix}.${schema}.items`;
  const fixture = new TestRun(run, {
    ownTables: [],
    env: { KAFKA_TOPICS: topic, DEBEZIUM_TOPIC_PREFIX: prefix },
  });
  let holder: pg.Client;

  async function connectorStatus(): Promise<string> {
    const response = await fetch(`${CONNECT_URL}/connectors/${name}/status`);
    if (response.status !== 200) return `HTTP ${response.status}`;
    const status = (await response.json()) as {
      connector: { state: string };
      tasks: Array<{ state: string }>;
    };
    return [status.connector.state, ...status.tasks.map((task) => task.state)].join(',');
  }

  before(async () => {
    await fixture.open();
    const { pg } = fixture.stores;
    await pg.query(`CREATE SCHEMA ${schema}`);
    await pg.query(`CREATE TABLE ${schema}.items (id int PRIMARY KEY, v text NOT NULL)`);
    await pg.query(
      `CREATE TABLE ${schema}.debezium_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))`,
    );
    await pg.query(`INSERT INTO ${schema}.items SELECT n, 'v' || n FROM generate_series(1, 5) AS n`);
    const url = new URL(stack.postgresUrl);
    const response = await fetch(`${CONNECT_URL}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name,
        config: {
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          'tasks.max': '1',
          'plugin.name': 'pgoutput',
          'database.hostname': url.hostname,
          'database.port': url.port || '5432',
          'database.user': decodeURIComponent(url.username),
          'database.password': decodeURIComponent(url.password),
          'database.dbname': url.pathname.slice(1),
          'topic.prefix': prefix,
          'table.include.list': `${schema}.items,${schema}.debezium_signal`,
          'slot.name': name,
          'publication.name': name,
          'publication.autocreate.mode': 'filtered',
          'snapshot.mode': 'no_data',
          'signal.data.collection': `${schema}.debezium_signal`,
          'tombstones.on.delete': 'true',
          'poll.interval.ms': '100',
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': 'true',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'true',
          'value.converter.replace.null.with.default': 'false',
        },
      }),
    });
    assert.equal(response.status, 201, await response.text());
    await pollUntil(
      'the test connector to stream from its slot',
      async () => {
        const slot = await pg.query(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [name]);
        return (await connectorStatus()) === 'RUNNING,RUNNING' && slot.rows[0]?.active === true;
      },
      { timeoutMs: 90_000, describe: connectorStatus },
    );
    holder = await postgres();
  });

  after(async () => {
    await holder?.query('ROLLBACK').catch(() => undefined);
    await holder?.end();
    await fetch(`${CONNECT_URL}/connectors/${name}`, { method: 'DELETE' });
    await fixture.close(async ({ pg }) => {
      await pollUntil(
        'the test slot to be released',
        async () =>
          (await pg.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [name]))
            .rowCount === 0,
        { timeoutMs: 60_000 },
      );
      await pg.query(`SELECT pg_drop_replication_slot($1)`, [name]).catch(() => undefined);
      await pg.query(`DROP PUBLICATION IF EXISTS ${name}`);
      await pg.query(`DROP SCHEMA ${schema} CASCADE`);
      await deleteGroupsAndTopics(fixture.admin, [], [topic, `${prefix}.${schema}.debezium_signal`]);
    });
  });

  test("the transaction's change wins over the snapshot's older read, in both sinks", async () => {
    const { pg, es, mongo } = fixture.stores;
    await fixture.service.start();

    // The transaction changes row 3 and stays open while the snapshot reads the table.
    await holder.query('BEGIN');
    await holder.query(`UPDATE ${schema}.items SET v = 'from the open transaction' WHERE id = 3`);
    await pg.query(`INSERT INTO ${schema}.debezium_signal VALUES ($1, 'execute-snapshot', $2)`, [
      `${run}-1`,
      JSON.stringify({ 'data-collections': [`${schema}.items`], type: 'incremental' }),
    ]);

    const index = `${run}-${schema}.items`;
    const collection = mongo.db(run).collection(`${schema}.items`);
    const values = async () => {
      await es.indices.refresh({ index }).catch(() => undefined);
      const esDoc = await es.get<{ v: string }>({ index, id: '3' }).catch(() => null);
      const mongoDoc = await collection.findOne({ _id: '3' as never });
      return { elasticsearch: esDoc?._source?.v, mongodb: mongoDoc?.v as string | undefined };
    };
    // The snapshot's read of row 3 reaches both sinks: the value before the open transaction.
    await pollUntil(
      'the snapshot read of row 3 in both sinks',
      async () => {
        const current = await values();
        return current.elasticsearch === 'v3' && current.mongodb === 'v3';
      },
      { timeoutMs: 90_000, describe: async () => JSON.stringify(await values()) },
    );

    await holder.query('COMMIT');
    const final = await pollUntil(
      "the open transaction's change in both sinks",
      async () => {
        const current = await values();
        return current.elasticsearch === 'from the open transaction' &&
          current.mongodb === 'from the open transaction'
          ? current
          : null;
      },
      { timeoutMs: 60_000, describe: async () => JSON.stringify(await values()) },
    );
    assert.ok(final);
    // The other rows came from the snapshot alone.
    const stored = await collection
      .find({}, { projection: { [POSITION_FIELD]: 0 } })
      .sort({ _id: 1 })
      .toArray();
    assert.deepEqual(
      stored.map((doc) => [doc._id, doc.v]),
      [
        ['1', 'v1'],
        ['2', 'v2'],
        ['3', 'from the open transaction'],
        ['4', 'v4'],
        ['5', 'v5'],
      ],
    );
  });
});
