// The MongoDB sink's beliefs about stored positions (position-cache.ts) going wrong against the
// stack's real MongoDB stand-in: each way a belief can be wrong must end in the same documents as a
// sink that reads before every write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db, MongoClient } from 'mongodb';
import pino from 'pino';
import type { RowChange } from '../../../src/decoder/types.js';
import { MongoSink, POSITION_FIELD, createMongoClient } from '../../../src/sinks/mongodb/sink.js';
import { SNAPSHOT_POSITION, type SinkOp, type SinkOpResult } from '../../../src/sinks/sink.js';
import { mongodb, stack, uniqueRunId } from '../support/stack.js';

const RUN = uniqueRunId('mongo-beliefs').replaceAll('-', '_');
let client: MongoClient;
let db: Db;
const sinks: MongoSink[] = [];

/** A sink instance of its own (its own beliefs), as another process or a restart would have. */
async function newSink(): Promise<MongoSink> {
  const sink = new MongoSink(createMongoClient(stack.mongodbUrl, 30_000), {
    url: stack.mongodbUrl,
    database: RUN,
    logger: pino({ level: 'silent' }),
    writeGuard: 'compare-and-set',
    positionCacheEntries: 1000,
  });
  sinks.push(sink);
  await sink.connect();
  return sink;
}

const upsert = (target: string, id: string, position: bigint, v: string): SinkOp => ({
  kind: 'upsert',
  target,
  id,
  position,
  document: { v },
  unchangedColumns: [],
  event: {} as RowChange,
});
const remove = (target: string, id: string, position: bigint): SinkOp => ({
  kind: 'delete',
  target,
  id,
  position,
  event: {} as RowChange,
});
const statuses = (results: SinkOpResult[]) => results.map((result) => result.status);
const stored = (target: string, id: string) =>
  db.collection<{ _id: string } & Record<string, unknown>>(target).findOne({ _id: id });

before(async () => {
  client = await mongodb();
  db = client.db(RUN);
});

after(async () => {
  await db.dropDatabase();
  await client.close();
  await Promise.all(sinks.map((sink) => sink.close()));
});

describe('MongoSink beliefs on the stand-in', () => {
  test('a second instance stored newer positions (rebalance overlap): the first one finds them stale and keeps them', async () => {
    const target = 'beliefs.newer';
    const [first, second] = [await newSink(), await newSink()];
    await first.write([upsert(target, 'a', 10n, 'first'), upsert(target, 'b', 10n, 'first')]);
    await second.write([upsert(target, 'a', 30n, 'second')]);
    assert.deepEqual(
      statuses(
        await first.write([upsert(target, 'a', 20n, 'late'), upsert(target, 'b', 20n, 'first again')]),
      ),
      ['stale', 'written'],
    );
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'second', [POSITION_FIELD]: 30n });
    assert.deepEqual(await stored(target, 'b'), { _id: 'b', v: 'first again', [POSITION_FIELD]: 20n });
    assert.deepEqual(statuses(await first.write([upsert(target, 'a', 40n, 'first later')])), ['written']);
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'first later', [POSITION_FIELD]: 40n });
  });

  test('a stale belief (another writer stored a position between it and the event) is written on the stored one', async () => {
    const target = 'beliefs.between';
    const [first, second] = [await newSink(), await newSink()];
    await first.write([upsert(target, 'a', 10n, 'first')]);
    await second.write([upsert(target, 'a', 15n, 'second')]);
    assert.deepEqual(statuses(await first.write([upsert(target, 'a', 20n, 'newest')])), ['written']);
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'newest', [POSITION_FIELD]: 20n });
  });

  test('a resync in between (snapshot writes into a rebuilt collection): newer events land, older ones do not', async () => {
    const target = 'beliefs.resync';
    const stream = await newSink();
    await stream.write([upsert(target, 'a', 10n, 'stream'), upsert(target, 'b', 10n, 'stream')]);
    await db.collection(target).deleteMany({});
    const resync = await newSink();
    await resync.write([
      upsert(target, 'a', SNAPSHOT_POSITION, 'snapshot'),
      upsert(target, 'b', SNAPSHOT_POSITION, 'snapshot'),
    ]);
    const newer = SNAPSHOT_POSITION + 5n;
    assert.deepEqual(
      statuses(
        await stream.write([upsert(target, 'a', newer, 'after resync'), upsert(target, 'b', 5n, 'replayed')]),
      ),
      ['written', 'stale'],
    );
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'after resync', [POSITION_FIELD]: newer });
    assert.deepEqual(await stored(target, 'b'), {
      _id: 'b',
      v: 'snapshot',
      [POSITION_FIELD]: SNAPSHOT_POSITION,
    });
  });

  test('tombstones: a delete by another instance keeps its guard, and an expired tombstone lets a newer write in', async () => {
    const target = 'beliefs.tombstones';
    const [first, second] = [await newSink(), await newSink()];
    await first.write([upsert(target, 'a', 10n, 'first'), upsert(target, 'b', 10n, 'first')]);
    await second.write([remove(target, 'a', 30n)]);
    assert.deepEqual(statuses(await first.write([upsert(target, 'a', 20n, 'late')])), ['stale']);
    assert.equal((await stored(target, 'a'))?._cdc_deleted, true, 'the tombstone stays');
    // The TTL index removed b's tombstone (done here by hand: the stand-in does not expire them).
    await first.write([remove(target, 'b', 20n)]);
    await db.collection<{ _id: string }>(target).deleteOne({ _id: 'b' });
    assert.deepEqual(statuses(await first.write([upsert(target, 'b', 40n, 'back')])), ['written']);
    assert.deepEqual(await stored(target, 'b'), { _id: 'b', v: 'back', [POSITION_FIELD]: 40n });
  });

  test('a truncate between two writes: the next event re-inserts its row', async () => {
    const target = 'beliefs.truncate';
    const sink = await newSink();
    await sink.write([upsert(target, 'a', 10n, 'before'), upsert(target, 'b', 10n, 'before')]);
    await sink.truncate(target, { position: 50n, commitTsMs: Date.now() });
    assert.equal(await db.collection(target).countDocuments(), 0);
    assert.deepEqual(statuses(await sink.write([upsert(target, 'a', 60n, 'after')])), ['written']);
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'after', [POSITION_FIELD]: 60n });
    assert.equal(await db.collection(target).countDocuments(), 1);
  });

  test('a restarted instance (no beliefs) on a full collection: stale replays change nothing, newer events land', async () => {
    const target = 'beliefs.restart';
    const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const before = await newSink();
    await before.write(ids.map((id) => upsert(target, id, 10n, 'ten')));
    const restarted = await newSink();
    const replay = await restarted.write(ids.slice(0, 10).map((id) => upsert(target, id, 5n, 'five')));
    assert.deepEqual(statuses(replay), Array(10).fill('stale'));
    const newer = await restarted.write(ids.slice(10).map((id) => upsert(target, id, 20n, 'twenty')));
    assert.deepEqual(statuses(newer), Array(20).fill('written'));
    const docs = await db
      .collection<{ _id: string; v: string }>(target)
      .find({}, { projection: { v: 1 } })
      .toArray();
    assert.deepEqual(
      docs.filter(({ v }) => v === 'five'),
      [],
    );
    assert.equal(docs.filter(({ v }) => v === 'twenty').length, 20);
  });

  test('a document the application wrote without a position is taken over', async () => {
    const target = 'beliefs.takeover';
    await db.collection<{ _id: string; v: string }>(target).insertOne({ _id: 'a', v: 'app' });
    const sink = await newSink();
    assert.deepEqual(statuses(await sink.write([upsert(target, 'a', 5n, 'sink')])), ['written']);
    assert.deepEqual(await stored(target, 'a'), { _id: 'a', v: 'sink', [POSITION_FIELD]: 5n });
  });
});
