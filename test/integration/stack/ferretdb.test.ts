// What the Mongo sink may rely on from the local stack's MongoDB server (the stand-in, or FerretDB
// 1.24). Every assertion also holds on MongoDB 7, so MONGODB_URL can point at any of them. Behaviour that differs
// between the two is left out of the assertions on purpose and described where it matters.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import { stack } from '../support/stack.js';
import { DUPLICATE_KEY } from '../../../src/sinks/mongodb/classify.js';

// The stack's address, as every integration test reads it (MONGODB_URL).
const MONGO_URL = stack.mongodbUrl;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const client = new MongoClient(MONGO_URL, { useBigInt64: true, serverSelectionTimeoutMS: 5000 });
const db = client.db(`cdc_fanout_stack_${randomBytes(6).toString('hex')}`);

after(async () => {
  await db.dropDatabase();
  await client.close();
});

interface Row {
  _id: string;
  pos: bigint;
  name?: string;
}

const isDuplicateKey = (err: unknown): boolean => {
  assert.ok(err instanceof MongoServerError, `expected a server error, got ${String(err)}`);
  assert.equal(err.code, DUPLICATE_KEY);
  return true;
};

test('a written document reads back unchanged', async () => {
  const rows = db.collection<Row>('write_read');
  await rows.insertOne({ _id: 'r1', pos: 1n, name: 'widget' });
  assert.deepEqual(await rows.findOne({ _id: 'r1' }), { _id: 'r1', pos: 1n, name: 'widget' });
});

test('an unordered bulkWrite of updateOne upserts updates existing ids and inserts new ones', async () => {
  const rows = db.collection<Row>('bulk');
  await rows.insertOne({ _id: 'b1', pos: 1n, name: 'old' });
  const result = await rows.bulkWrite(
    ['b1', 'b2', 'b3'].map((id) => ({
      updateOne: {
        filter: { _id: id, pos: { $not: { $gte: 5n } } },
        update: { $set: { pos: 5n, name: `new ${id}` } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  assert.equal(result.matchedCount, 1);
  assert.equal(result.modifiedCount, 1);
  assert.equal(result.upsertedCount, 2);
  // Only the ids: FerretDB numbers upsertedIds by upsert count (0, 1), MongoDB by operation (1, 2).
  assert.deepEqual(Object.values(result.upsertedIds).sort(), ['b2', 'b3']);
  assert.deepEqual(await rows.find().sort({ _id: 1 }).toArray(), [
    { _id: 'b1', pos: 5n, name: 'new b1' },
    { _id: 'b2', pos: 5n, name: 'new b2' },
    { _id: 'b3', pos: 5n, name: 'new b3' },
  ]);
});

// The sink's version guard ({pos: {$not: {$gte: position}}}): an event older than the stored
// document matches nothing, so the upsert tries to insert its _id again and fails with E11000,
// which the sink takes as "stale, skip".
test('a version-guarded upsert of a stale event fails with E11000 and leaves the newer document', async () => {
  const rows = db.collection<Row>('guard');
  await rows.insertOne({ _id: 'g1', pos: 10n, name: 'current' });

  await assert.rejects(
    rows.updateOne(
      { _id: 'g1', pos: { $not: { $gte: 5n } } },
      { $set: { pos: 5n, name: 'stale' } },
      { upsert: true },
    ),
    isDuplicateKey,
  );
  await assert.rejects(
    rows.replaceOne({ _id: 'g1', pos: { $not: { $gte: 5n } } }, { pos: 5n, name: 'stale' }, { upsert: true }),
    isDuplicateKey,
  );
  // An equal position is a redelivery of the event already applied: stale too.
  await assert.rejects(
    rows.updateOne(
      { _id: 'g1', pos: { $not: { $gte: 10n } } },
      { $set: { pos: 10n, name: 'again' } },
      { upsert: true },
    ),
    isDuplicateKey,
  );
  assert.deepEqual(await rows.findOne({ _id: 'g1' }), { _id: 'g1', pos: 10n, name: 'current' });

  const newer = await rows.updateOne(
    { _id: 'g1', pos: { $not: { $gte: 15n } } },
    { $set: { pos: 15n, name: 'newer' } },
    { upsert: true },
  );
  assert.equal(newer.matchedCount, 1);
  assert.deepEqual(await rows.findOne({ _id: 'g1' }), { _id: 'g1', pos: 15n, name: 'newer' });
});

// The guard's $not matches a document with no position at all (written by the application before
// the sink took over): plain $lt would match nothing, and every event for it would be "stale".
test('the version guard takes over a document that has no position', async () => {
  const rows = db.collection<{ _id: string; pos?: bigint; name: string }>('guard_no_position');
  await rows.insertOne({ _id: 'a1', name: 'written by the app' });
  const taken = await rows.replaceOne(
    { _id: 'a1', pos: { $not: { $gte: 5n } } },
    { pos: 5n, name: 'streamed' },
    { upsert: true },
  );
  assert.equal(taken.matchedCount, 1);
  assert.deepEqual(await rows.findOne({ _id: 'a1' }), { _id: 'a1', pos: 5n, name: 'streamed' });
  const deleted = await rows.deleteMany({ pos: { $not: { $gte: 6n } } });
  assert.equal(deleted.deletedCount, 1);
});

// The stale operation is last on purpose. FerretDB 1.24 ignores `ordered: false`: it stops the
// batch at the first error, reports it at index 0 with zero counts, and never applies the operations
// after it, where MongoDB applies them all. Whatever follows a stale event in a batch must be
// retried by the sink rather than assumed written.
test('in an unordered bulkWrite a stale upsert is reported as E11000 and the newer document is kept', async () => {
  const rows = db.collection<Row>('bulk_guard');
  await rows.insertOne({ _id: 'k1', pos: 10n, name: 'current' });

  await assert.rejects(
    rows.bulkWrite(
      [
        {
          updateOne: {
            filter: { _id: 'k2', pos: { $not: { $gte: 3n } } },
            update: { $set: { pos: 3n, name: 'fresh' } },
            upsert: true,
          },
        },
        {
          updateOne: {
            filter: { _id: 'k1', pos: { $not: { $gte: 3n } } },
            update: { $set: { pos: 3n, name: 'stale' } },
            upsert: true,
          },
        },
      ],
      { ordered: false },
    ),
    (err: unknown) => {
      assert.ok(err instanceof MongoBulkWriteError, `expected a bulk write error, got ${String(err)}`);
      assert.deepEqual(
        [err.writeErrors].flat().map((e) => e.code),
        [DUPLICATE_KEY],
      );
      return true;
    },
  );
  assert.deepEqual(await rows.find().sort({ _id: 1 }).toArray(), [
    { _id: 'k1', pos: 10n, name: 'current' },
    { _id: 'k2', pos: 3n, name: 'fresh' },
  ]);
});

test('int64 values round-trip exactly as bigint and compare exactly past 2^53', async () => {
  const rows = db.collection<{ _id: string; max: bigint; min: bigint }>('int64');
  await rows.insertOne({ _id: 'i1', max: INT64_MAX, min: INT64_MIN });

  const read = await rows.findOne({ _id: 'i1' });
  assert.deepEqual(read, { _id: 'i1', max: INT64_MAX, min: INT64_MIN });
  assert.equal(typeof read?.max, 'bigint');
  assert.equal(await rows.countDocuments({ max: INT64_MAX }), 1);
  // Positions (LSNs) are int64: neighbours that a double cannot tell apart must still be ordered.
  assert.equal(await rows.countDocuments({ max: { $lt: INT64_MAX } }), 0);
  assert.equal(await rows.countDocuments({ max: { $gt: INT64_MAX - 1n } }), 1);

  const guard = db.collection<Row>('int64_guard');
  const pos = 2n ** 53n + 1n;
  await guard.insertOne({ _id: 'p1', pos });
  await assert.rejects(
    guard.updateOne(
      { _id: 'p1', pos: { $not: { $gte: pos - 1n } } },
      { $set: { pos: pos - 1n } },
      { upsert: true },
    ),
    isDuplicateKey,
  );
  const newer = await guard.updateOne(
    { _id: 'p1', pos: { $not: { $gte: pos + 1n } } },
    { $set: { pos: pos + 1n } },
    { upsert: true },
  );
  assert.equal(newer.matchedCount, 1);
});
