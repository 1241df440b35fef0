// `reindex --sink mongodb` through the real CLI while the service runs: a workload of inserts,
// updates and deletes keeps going during the whole reindex (so rows are deleted during the
// backfill), the table's TABLES settings changed before it (email excluded), and a reader samples
// the live collection every 100 ms. The reindex must end with the live collection equal under
// verify, in the new shape, the new name gone, and the reader must never find the collection
// missing, empty or far below Postgres' row count. Then a reindex killed mid-backfill (SIGKILL),
// one killed after the switch and one that died between the rename and its record are run again
// and finish. Last, the dual write's order against a rename in between.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from 'mongodb';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { parseState, REINDEX_COLLECTION, SWITCH_MARKER_INDEX } from '../../../src/reindex/mongodb-state.js';
import { DualWriteMongoSink } from '../../../src/sinks/mongodb/dual-write.js';
import { createMongoClient, MongoSink } from '../../../src/sinks/mongodb/sink.js';
import { LIVE_DOCUMENTS } from '../../../src/sinks/mongodb/tombstone.js';
import { SNAPSHOT_POSITION, type Sink, type SinkOp } from '../../../src/sinks/sink.js';
import { runCli, spawnCli } from '../support/cli.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { whileWorkloadRuns, worstSample } from '../support/reindex-workload.js';
import { stack, uniqueRunId } from '../support/stack.js';

const ROWS = 1500;
/** How far the collection may trail Postgres' row count: the workload's changes in flight. */
const IN_FLIGHT = 300;

async function collections(db: Db): Promise<string[]> {
  return (await db.listCollections({}, { nameOnly: true }).toArray()).map((entry) => entry.name);
}

/** The live documents of a collection, without _id and the sink's position, by id. */
async function documentsOf(db: Db, collection: string): Promise<Array<Record<string, unknown>>> {
  return db
    .collection(collection)
    .find(LIVE_DOCUMENTS, { projection: { _id: 0, _cdc_lsn: 0 } })
    .sort({ id: 1 })
    .toArray();
}

async function recordOf(db: Db, collection: string) {
  return parseState(await db.collection<{ _id: string }>(REINDEX_COLLECTION).findOne({ _id: collection }));
}

describe('reindex --sink mongodb while the service runs', { timeout: 900_000 }, () => {
  const fixture = new TestRun(uniqueRunId('mreindex'), {
    env: { SINKS: 'mongodb', MONGODB_REINDEX_DISCOVERY_MS: '1000' },
  });
  const { env, tables, service, run } = fixture;
  const customers = `inventory.${tables.names.customers}`;
  const orders = `inventory.${tables.names.orders}`;
  const hardTypes = `inventory.${tables.names.hard_types}`;
  let db: Db;

  before(async () => {
    const { stores } = await fixture.open();
    db = stores.mongo.db(env.MONGODB_DATABASE);
    await stores.pg.query(
      `INSERT INTO ${customers} (first_name, last_name, email) SELECT 'Seed' || g, 'Row', '${run}-' || g || '@example.com' FROM generate_series(1, ${ROWS}) g`,
    );
    await stores.pg.query(
      `INSERT INTO ${orders} (order_date, purchaser, quantity, product, amount) SELECT DATE '2020-01-01' + g % 900, 1001, g % 7 + 1, 'item ' || g, g * 1.25 FROM generate_series(1, ${2 * ROWS}) g`,
    );
    await service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  test('a reindex under a workload renames a rebuilt collection in the new shape over the live one', async () => {
    assert.ok((await documentsOf(db, customers)).every((doc) => 'email' in doc));
    // The new shape: the service and the reindex both run with it from now on.
    env.TABLES = JSON.stringify({ [customers]: { excludeColumns: ['email'] } });
    await service.kill('SIGTERM');
    await service.start();

    const { result, done, deletesDuring, samples, failures } = await whileWorkloadRuns(
      customers,
      run,
      async () => {
        if (!(await collections(db)).includes(customers)) throw new Error(`${customers} missing`);
        return db.collection(customers).countDocuments(LIVE_DOCUMENTS);
      },
      () => runCli(env, ['reindex', '--table', customers, '--sink', 'mongodb']),
    );
    process.stderr.write(`# reindex output:\n${result.stdout}${result.stderr}\n`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${customers} is now the rebuilt ${customers}_v1`));
    assert.ok(deletesDuring > 0, 'rows were deleted while the reindex ran');
    assert.equal((await recordOf(db, customers))?.phase, 'done');
    // The writes were paused for the rename: none re-created a collection under the new name.
    assert.ok(!(await collections(db)).includes(`${customers}_v1`), 'the new name is gone');
    assert.doesNotMatch(result.stderr, /another name|dropping/);

    assert.deepEqual(failures, [], 'a reader found the collection missing');
    assert.ok(samples.length >= 20, `the reader sampled (${samples.length} samples)`);
    const worst = worstSample(samples);
    process.stderr.write(
      `# ${samples.length} samples; worst: collection ${worst.stored} documents, Postgres ${worst.pg} rows; workload ${JSON.stringify(done)}\n`,
    );
    assert.ok(
      worst.stored >= worst.pg - IN_FLIGHT,
      `the collection held ${worst.stored} documents while Postgres had ${worst.pg} rows`,
    );

    await fixture.converge({ tables: [tables.names.customers] });
    const verify = await runCli(env, ['verify', '--table', customers, '--sink', 'mongodb']);
    assert.equal(verify.code, 0, verify.stdout);
    const stored = await documentsOf(db, customers);
    assert.ok(
      stored.length > 0 && stored.every((doc) => !('email' in doc)),
      'every document in the new shape',
    );
    const indexes = (await db.collection(customers).indexes()).map((index) => index.name).sort();
    assert.deepEqual(indexes, ['_cdc_tombstone_ttl', '_id_'], 'the sink’s indexes, no marker');
  });

  test('a reindex killed mid-backfill finishes when run again', async () => {
    const reindex = spawnCli(env, ['reindex', '--table', orders, '--sink', 'mongodb']);
    const shadow = `${orders}_v1`;
    const total = Number(
      (await fixture.stores.pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${orders}`)).rows[0]!.n,
    );
    let saved = 0;
    try {
      saved = await pollUntil(
        'the backfill to save its cursor',
        async () => {
          const state = await recordOf(db, orders);
          return state?.cursor ? (state.backfilledRows ?? 0) : false;
        },
        { timeoutMs: 120_000, intervalMs: 50, describe: reindex.output },
      );
    } finally {
      await reindex.kill();
    }
    const copied = await db.collection(shadow).countDocuments(LIVE_DOCUMENTS);
    assert.ok(saved > 0 && copied < total, `killed mid-backfill (${copied} of ${total} copied)`);
    assert.equal(
      await db.collection(orders).countDocuments(LIVE_DOCUMENTS),
      total,
      'readers still read all rows',
    );

    const rerun = await runCli(env, ['reindex', '--table', orders, '--sink', 'mongodb']);
    process.stderr.write(`# rerun output:\n${rerun.stdout}${rerun.stderr}\n`);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /resumed/);
    assert.match(rerun.stderr, new RegExp(`the backfill goes on after ${saved} rows`));
    assert.equal(Number(/; (\d+) rows backfilled/.exec(rerun.stdout)?.[1]), total - saved);
    assert.ok(!(await collections(db)).includes(shadow));
    await fixture.converge({ tables: [tables.names.orders] });
  });

  test('a reindex killed after the switch finishes when run again', async () => {
    const shadow = `${hardTypes}_v1`;
    // A longer wait after the switch (the service discovers faster), to kill it there.
    const reindex = spawnCli({ ...env, MONGODB_REINDEX_DISCOVERY_MS: '4000' }, [
      'reindex',
      '--table',
      hardTypes,
      '--sink',
      'mongodb',
    ]);
    try {
      await pollUntil(
        'the switch',
        async () => reindex.output().includes(`no instance writes to ${shadow}`),
        {
          timeoutMs: 300_000,
          describe: reindex.output,
        },
      );
    } finally {
      await reindex.kill();
    }
    assert.equal((await recordOf(db, hardTypes))?.phase, 'switched');
    const before = await db.collection(hardTypes).countDocuments(LIVE_DOCUMENTS);

    const rerun = await runCli(env, ['reindex', '--table', hardTypes, '--sink', 'mongodb']);
    process.stderr.write(`# rerun output:\n${rerun.stdout}${rerun.stderr}\n`);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /resumed/);
    assert.ok(!(await collections(db)).includes(shadow));
    assert.equal(
      await db.collection(hardTypes).countDocuments(LIVE_DOCUMENTS),
      before,
      'the live collection is whole',
    );
    assert.equal((await recordOf(db, hardTypes))?.phase, 'done');
    await fixture.converge({ tables: [tables.names.hard_types] });
  });

  test('a rerun after a crash between the rename and its record only records the switch', async () => {
    // The state such a crash leaves: the record still pausing, the live name already on the
    // rebuilt collection, which carries the marker index.
    const before = await db.collection(orders).countDocuments(LIVE_DOCUMENTS);
    await db
      .collection(orders)
      .createIndex({ _id: 1, [SWITCH_MARKER_INDEX]: 1 }, { name: SWITCH_MARKER_INDEX });
    await db.collection<{ _id: string }>(REINDEX_COLLECTION).replaceOne(
      { _id: orders },
      {
        phase: 'pausing',
        shadow: `${orders}_v2`,
        version: 2,
        createdAtMs: Date.now() - 60_000,
        pausedAtMs: Date.now() - 30_000,
      },
      { upsert: true },
    );
    const rerun = await runCli(env, ['reindex', '--table', orders, '--sink', 'mongodb']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /\(pausing\)/);
    assert.equal(await db.collection(orders).countDocuments(LIVE_DOCUMENTS), before);
    const indexes = (await db.collection(orders).indexes()).map((index) => index.name);
    assert.ok(!indexes.includes(SWITCH_MARKER_INDEX), 'the marker index is dropped');
    assert.equal((await recordOf(db, orders))?.phase, 'done');
  });

  // With the two writes the other way round this fails: the live-name write goes to the collection
  // the rename drops (checked on the stand-in, whose rename now frees the old name as MongoDB's
  // does). The unit test (test/unit/sinks/mongodb/dual-write.test.ts) pins the order itself.
  test('the dual write survives a rename between its two writes: the new collection is written first', async () => {
    const live = `inventory.${run}_order`;
    const shadow = `${live}_v1`;
    await db.collection(REINDEX_COLLECTION).insertOne({
      _id: live,
      phase: 'backfill',
      shadow,
      version: 1,
      createdAtMs: Date.now(),
    } as never);
    const config = loadConfig({ ...process.env, ...env, MONGODB_URL: stack.mongodbUrl });
    const inner = new MongoSink(createMongoClient(config.mongodb.url), {
      ...config.mongodb,
      logger: pino({ level: 'silent' }),
    });
    let renamed = false;
    // The reindex's rename lands right after the first of the dual write's two writes.
    const renamingAfterFirstWrite: Sink = Object.assign(Object.create(inner) as Sink, {
      write: async (ops: readonly SinkOp[]) => {
        const results = await inner.write(ops);
        if (!renamed) {
          renamed = true;
          await db.admin().command({
            renameCollection: `${db.databaseName}.${shadow}`,
            to: `${db.databaseName}.${live}`,
            dropTarget: true,
          });
        }
        return results;
      },
    });
    const dual = new DualWriteMongoSink(renamingAfterFirstWrite, db, {
      discoveryMs: 60_000,
      logger: pino({ level: 'silent' }),
    });
    try {
      await inner.connect();
      // Both collections exist, as during a reindex.
      await inner.write([op(live, 'old'), op(shadow, 'old')]);
      const [result] = await dual.write([op(live, 'new')]);
      assert.deepEqual(result, { status: 'written' });
      assert.ok(renamed);
      assert.deepEqual(
        (
          await db
            .collection(live)
            .find({}, { projection: { _id: 1 } })
            .toArray()
        )
          .map((doc) => doc._id)
          .sort(),
        ['new', 'old'],
        'the change is in the collection readers see after the rename',
      );
    } finally {
      await inner.close();
    }
  });
});

function op(target: string, id: string): SinkOp {
  return {
    kind: 'upsert',
    target,
    id,
    position: SNAPSHOT_POSITION + 1n,
    document: { id },
    unchangedColumns: [],
    event: {
      table: { database: '', schema: 'inventory', table: 'order' },
      columnTypes: new Map(),
      position: { lsn: SNAPSHOT_POSITION + 1n, commitTsMs: Date.now(), txId: null, snapshot: false },
      record: { topic: 't', partition: 0, offset: '0' },
    },
  };
}
