// The MongoDB sink against the stack's real MongoDB stand-in (MONGODB_URL), with each write guard
// (range, compare-and-set), each in a database of its own: guarded writes, what a duplicate key
// means, and tombstones that keep a deleted row deleted when resync's older page arrives after the
// delete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db, MongoClient } from 'mongodb';
import pino from 'pino';
import type { RowChange } from '../../../src/decoder/types.js';
import {
  MongoSink,
  POSITION_FIELD,
  createMongoClient,
  type WriteGuard,
} from '../../../src/sinks/mongodb/sink.js';
import type { Document } from '../../../src/router/document.js';
import { SNAPSHOT_POSITION, type SinkOp, type SinkOpResult } from '../../../src/sinks/sink.js';
import { mongoReader } from '../../../src/verify/sink-readers.js';
import { mongodb, stack, uniqueRunId } from '../support/stack.js';

const RUN = uniqueRunId('mongo-sink').replaceAll('-', '_');
const TARGET = 'inventory.customers';
const GUARDS: readonly WriteGuard[] = ['range', 'compare-and-set'];
let client: MongoClient;
const sinks: MongoSink[] = [];

const databaseOf = (writeGuard: WriteGuard) => `${RUN}_${writeGuard.replaceAll('-', '_')}`;

function newSink(writeGuard: WriteGuard): MongoSink {
  const sink = new MongoSink(createMongoClient(stack.mongodbUrl, 30_000), {
    url: stack.mongodbUrl,
    database: databaseOf(writeGuard),
    logger: pino({ level: 'silent' }),
    writeGuard,
  });
  sinks.push(sink);
  return sink;
}

const upsert = (
  id: string,
  position: bigint,
  document: Document,
  unchangedColumns: string[] = [],
): SinkOp => ({
  kind: 'upsert',
  target: TARGET,
  id,
  position,
  document,
  unchangedColumns,
  event: {} as RowChange,
});
const remove = (id: string, position: bigint): SinkOp => ({
  kind: 'delete',
  target: TARGET,
  id,
  position,
  event: {} as RowChange,
});
const statuses = (results: SinkOpResult[]) => results.map((result) => result.status);

before(async () => {
  client = await mongodb();
});

after(async () => {
  for (const writeGuard of GUARDS) await client.db(databaseOf(writeGuard)).dropDatabase();
  await client.close();
  await Promise.all(sinks.map((sink) => sink.close()));
});

for (const writeGuard of GUARDS)
  describe(`MongoSink on the stand-in, guarded by ${writeGuard}`, () => {
    let db: Db;
    const stored = (id: string) => db.collection<{ _id: string }>(TARGET).findOne({ _id: id });
    before(() => {
      db = client.db(databaseOf(writeGuard));
    });

    test('newer positions are written, older and equal ones are stale and change nothing', async () => {
      const sink = newSink(writeGuard);
      await sink.connect();
      assert.deepEqual(
        statuses(await sink.write([upsert('a', 10n, { v: 'ten' }), upsert('b', 10n, { v: 'ten' })])),
        ['written', 'written'],
      );
      const results = await sink.write([
        upsert('a', 5n, { v: 'five' }),
        upsert('b', 20n, { v: 'twenty' }),
        upsert('c', 1n, { v: 'one' }),
      ]);
      assert.deepEqual(statuses(results), ['stale', 'written', 'written']);
      assert.deepEqual(await stored('a'), { _id: 'a', v: 'ten', [POSITION_FIELD]: 10n });
      assert.deepEqual(await stored('b'), { _id: 'b', v: 'twenty', [POSITION_FIELD]: 20n });
    });

    test('a document without a position (written by the application) is taken over', async () => {
      await db.collection<{ _id: string; v: string }>(TARGET).insertOne({ _id: 'app', v: 'by hand' });
      const sink = newSink(writeGuard);
      assert.deepEqual(statuses(await sink.write([upsert('app', 3n, { v: 'cdc' })])), ['written']);
      assert.deepEqual(await stored('app'), { _id: 'app', v: 'cdc', [POSITION_FIELD]: 3n });
    });

    test("a duplicate on the user's own unique index is a permanent failure of that document only", async () => {
      const target = 'inventory.unique_email';
      await db.collection(target).createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
      const sink = newSink(writeGuard);
      const at = (op: SinkOp): SinkOp => ({ ...op, target });
      await sink.write([at(upsert('u1', 1n, { email: 'x@example.com' }))]);
      const results = await sink.write([
        at(upsert('u2', 2n, { email: 'x@example.com' })),
        at(upsert('u3', 2n, { email: 'y@example.com' })),
      ]);
      assert.equal(results[0]?.status, 'failed', 'never counted stale: the row was not written');
      assert.ok(results[0]?.status === 'failed' && !results[0].error.retriable, 'permanent: dead-lettered');
      assert.match(results[0]?.status === 'failed' ? results[0].error.message : '', /unique index/);
      assert.deepEqual(results[1], { status: 'written' });
    });

    test('two instances racing on new documents (rebalance overlap) keep the newest of each', async () => {
      const [first, second] = [newSink(writeGuard), newSink(writeGuard)];
      const ids = Array.from({ length: 40 }, (_, i) => `race${i}`);
      await Promise.all([
        first.write(ids.map((id) => upsert(id, 5n, { v: 'older' }))),
        second.write(ids.map((id) => upsert(id, 9n, { v: 'newer' }))),
      ]);
      const found = await db
        .collection<{ _id: string; v: string }>(TARGET)
        .find({ _id: { $in: ids } })
        .toArray();
      assert.equal(found.length, ids.length);
      assert.deepEqual(
        found.filter((doc) => doc.v !== 'newer').map((doc) => doc._id),
        [],
        'no document may keep the older write',
      );
    });

    test('resync races a delete: its older page arriving after the delete does not bring the row back', async () => {
      const sink = newSink(writeGuard);
      const reader = mongoReader(db);
      // The stream had written X; resync's snapshot read X at position 50; the stream then deletes X
      // at 60; resync's page with X (at 50, below every change its snapshot lacks) arrives last.
      await sink.write([upsert('x', 40n, { v: 'x' }), upsert('y', 40n, { v: 'y' })]);
      assert.deepEqual(statuses(await sink.write([remove('x', 60n)])), ['written']);
      assert.deepEqual(statuses(await sink.write([upsert('x', 50n, { v: 'x' })])), ['stale']);
      // A delete of a row the sink never held leaves its guard too (resync into an empty collection).
      assert.deepEqual(statuses(await sink.write([remove('never', 60n)])), ['written']);
      assert.deepEqual(statuses(await sink.write([upsert('never', 50n, { v: 'n' })])), ['stale']);
      const fetched = await reader.fetch(TARGET, ['x', 'y', 'never']);
      assert.deepEqual([...fetched.keys()], ['y'], 'readers skip tombstones');
      const ids: string[] = [];
      for await (const page of reader.ids(TARGET)) ids.push(...page);
      assert.ok(!ids.includes('x') && !ids.includes('never') && ids.includes('y'));
      assert.equal(await reader.count(TARGET), ids.length);
      // The row inserted again later replaces the tombstone.
      assert.deepEqual(statuses(await sink.write([upsert('x', 70n, { v: 'back' })])), ['written']);
      assert.deepEqual(await stored('x'), { _id: 'x', v: 'back', [POSITION_FIELD]: 70n });
    });

    test('an update with unchanged TOAST columns keeps their stored values', async () => {
      const sink = newSink(writeGuard);
      await sink.write([upsert('t', 1n, { id: 1, big: 'stored text', n: 1 })]);
      await sink.write([upsert('t', 2n, { id: 1, n: 2 }, ['big'])]);
      assert.deepEqual(await stored('t'), {
        _id: 't',
        id: 1,
        big: 'stored text',
        n: 2,
        [POSITION_FIELD]: 2n,
      });
    });

    test('readiness runs a real write command and a read', async () => {
      const sink = newSink(writeGuard);
      assert.equal(await sink.ping(), true);
    });

    test('a snapshot read refreshes what a snapshot wrote, never what the stream wrote', async () => {
      const sink = newSink(writeGuard);
      const read = (v: string) => upsert('snap', SNAPSHOT_POSITION, { id: 'snap', v });
      assert.deepEqual(statuses(await sink.write([read('read 1')])), ['written']);
      assert.deepEqual(statuses(await sink.write([read('read 2')])), ['written']);
      assert.deepEqual(
        statuses(await sink.write([upsert('snap', 0x2000000n, { id: 'snap', v: 'streamed' })])),
        ['written'],
      );
      assert.deepEqual(statuses(await sink.write([read('read 3')])), ['stale']);
      const doc = (await stored('snap')) as Record<string, unknown> | null;
      assert.equal(doc?.['v'], 'streamed');
      assert.equal(doc?.[POSITION_FIELD], 0x2000000n);
    });
  });
