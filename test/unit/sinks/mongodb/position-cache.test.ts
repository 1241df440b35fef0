// Beliefs about stored positions (position-cache.ts) and what the sink does with them, over an
// in-memory collection that answers compare-and-set like MongoDB: a statement matches only the
// exact state it names, an upsert that matches nothing inserts or collides on _id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import type { DocumentSequence } from 'mongodb/lib/cmap/commands.js';
import pino from 'pino';
import type { RowChange } from '../../../../src/decoder/types.js';
import { PositionCache } from '../../../../src/sinks/mongodb/position-cache.js';
import { MongoSink, POSITION_FIELD } from '../../../../src/sinks/mongodb/sink.js';
import type { SinkOp } from '../../../../src/sinks/sink.js';
import { sentStatements } from './support/sent-statements.js';

type Doc = Record<string, unknown> & { _id: string };
/** A statement of an `update` command: a replacement, or $set (with $unset) for a partial update. */
type Statement = { q: Doc; u: Record<string, unknown>; upsert: boolean };

/** MongoDB's equality on a missing field: null matches it. */
const sameStored = (doc: Doc, filter: Doc) =>
  (doc[POSITION_FIELD] ?? null) === (filter[POSITION_FIELD] ?? null);

/** A sink over one in-memory collection; `calls` lists the round trips. */
function sinkOver(docs: Map<string, Doc>, positionCacheEntries = 1000) {
  const calls: string[] = [];
  const collection = {
    collectionName: 'c',
    createIndex: async () => 'ok',
    find: (filter: { _id: { $in: string[] } }) => ({
      toArray: async () => {
        calls.push('find');
        return filter._id.$in.flatMap((id) => {
          const doc = docs.get(id);
          return doc ? [{ _id: id, [POSITION_FIELD]: doc[POSITION_FIELD] }] : [];
        });
      },
    }),
  };
  const db = {
    collection: () => collection,
    /** An unordered `update` command, answered as MongoDB does: per statement, errors by index. */
    command: async ({ updates }: { updates: DocumentSequence }) => {
      calls.push('update');
      const statements = sentStatements<Statement>(updates);
      const writeErrors: Array<{ index: number; code: number; errmsg: string }> = [];
      statements.forEach(({ q: filter, u }, index) => {
        const fields = '$set' in u ? (u['$set'] as Record<string, unknown>) : u;
        const doc = docs.get(filter._id);
        if (doc && !sameStored(doc, filter)) {
          writeErrors.push({
            index,
            code: 11000,
            errmsg: `E11000 index: _id_ dup key: { _id: "${filter._id}" }`,
          });
          return;
        }
        docs.set(filter._id, { _id: filter._id, ...fields });
      });
      return {
        ok: 1,
        n: statements.length - writeErrors.length,
        ...(writeErrors.length > 0 ? { writeErrors } : {}),
      };
    },
  };
  const client = { db: () => db } as unknown as MongoClient;
  const sink = new MongoSink(client, {
    url: 'mongodb://fake',
    database: 'db',
    logger: pino({ level: 'silent' }),
    writeGuard: 'compare-and-set',
    positionCacheEntries,
  });
  return Object.assign(sink, { calls });
}

const upsert = (id: string, position: bigint, v = `v${position}`): SinkOp => ({
  kind: 'upsert',
  target: 'inventory.customers',
  id,
  position,
  document: { v },
  unchangedColumns: [],
  event: {} as RowChange,
});
const remove = (id: string, position: bigint): SinkOp => ({
  kind: 'delete',
  target: 'inventory.customers',
  id,
  position,
  event: {} as RowChange,
});
const statuses = async (sink: MongoSink, ops: SinkOp[]) =>
  (await sink.write(ops)).map((result) => result.status);
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `id${from + i}`);

describe('PositionCache', () => {
  const entry = (id: string, position: bigint) => ({ op: upsert(id, position) });

  test('a believed position below the event is written on, one at or above it is read, an unknown id is tried as new', () => {
    const cache = new PositionCache(10);
    cache.remember('c', 'a', 10n);
    cache.remember('c', 'b', 30n);
    const { believed, toRead, unknownToRead } = cache.split('c', [
      entry('a', 20n),
      entry('b', 20n),
      entry('n', 20n),
    ]);
    assert.deepEqual(
      believed.map(({ op, stored }) => [op.id, stored?.raw]),
      [
        ['a', 10n],
        ['n', undefined],
      ],
    );
    assert.deepEqual(
      toRead.map(({ op }) => op.id),
      ['b'],
      'only a read calls a write stale',
    );
    assert.deepEqual(unknownToRead, []);
  });

  test('unknown ids are read first once most unknown ids turned out to exist, and tried as new again once most did not', () => {
    const cache = new PositionCache(10);
    cache.observeUnknowns('c', 4, 1);
    assert.deepEqual(
      cache.split('c', [entry('n', 1n)]).unknownToRead.map(({ op }) => op.id),
      ['n'],
    );
    assert.deepEqual(cache.split('other', [entry('n', 1n)]).unknownToRead, [], 'per collection');
    cache.observeUnknowns('c', 4, 2);
    assert.deepEqual(cache.split('c', [entry('n', 1n)]).unknownToRead, []);
  });

  test('holds at most its size per collection, forgetting the least recently stored', () => {
    const cache = new PositionCache(2);
    cache.remember('c', 'a', 1n);
    cache.remember('c', 'b', 1n);
    cache.remember('c', 'a', 2n);
    cache.remember('c', 'x', 1n);
    cache.observeUnknowns('c', 1, 0);
    const { believed, unknownToRead } = cache.split('c', [entry('a', 5n), entry('b', 5n), entry('x', 5n)]);
    assert.deepEqual(
      believed.map(({ op }) => op.id),
      ['a', 'x'],
    );
    assert.deepEqual(
      unknownToRead.map(({ op }) => op.id),
      ['b'],
    );
  });

  test('size 0 holds nothing and reads every id first', () => {
    const cache = new PositionCache(0);
    cache.remember('c', 'a', 1n);
    const { believed, unknownToRead } = cache.split('c', [entry('a', 5n), entry('n', 5n)]);
    assert.deepEqual(believed, []);
    assert.equal(unknownToRead.length, 2);
  });

  test('a forgotten id is unknown again', () => {
    const cache = new PositionCache(5);
    cache.remember('c', 'a', 1n);
    cache.forget('c', 'a');
    cache.observeUnknowns('c', 1, 0);
    assert.equal(cache.split('c', [entry('a', 5n)]).unknownToRead.length, 1);
  });
});

describe('MongoSink with beliefs', () => {
  test('a first load and then newer writes take one bulk round trip per batch, no read', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    assert.deepEqual(
      await statuses(
        sink,
        ids(5).map((id) => upsert(id, 10n)),
      ),
      Array(5).fill('written'),
    );
    assert.deepEqual(
      await statuses(
        sink,
        ids(5).map((id) => upsert(id, 20n)),
      ),
      Array(5).fill('written'),
    );
    assert.deepEqual(sink.calls, ['update', 'update']);
    assert.deepEqual(docs.get('id3'), { _id: 'id3', v: 'v20', [POSITION_FIELD]: 20n });
  });

  test('another writer stored a newer position: the write misses, is read and is stale, nothing changes', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    await sink.write([upsert('a', 10n), upsert('b', 10n)]);
    docs.set('a', { _id: 'a', v: 'other', [POSITION_FIELD]: 30n });
    sink.calls.length = 0;
    assert.deepEqual(await statuses(sink, [upsert('a', 20n), upsert('b', 20n)]), ['stale', 'written']);
    assert.deepEqual(sink.calls, ['update', 'find']);
    assert.deepEqual(docs.get('a'), { _id: 'a', v: 'other', [POSITION_FIELD]: 30n });
    // What the read found is believed from then on.
    sink.calls.length = 0;
    assert.deepEqual(await statuses(sink, [upsert('a', 40n)]), ['written']);
    assert.deepEqual(sink.calls, ['update']);
  });

  test('another writer stored an older position than the event: the write misses, is read, and is written on what was read', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    await sink.write([upsert('a', 10n)]);
    docs.set('a', { _id: 'a', v: 'other', [POSITION_FIELD]: 15n });
    sink.calls.length = 0;
    assert.deepEqual(await statuses(sink, [upsert('a', 20n)]), ['written']);
    assert.deepEqual(sink.calls, ['update', 'find', 'update']);
    assert.deepEqual(docs.get('a'), { _id: 'a', v: 'v20', [POSITION_FIELD]: 20n });
  });

  test('a belief at or above the event is never taken for stale: the read decides (a lower position was stored since)', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    await sink.write([upsert('a', 10n)]);
    // Someone replaced it with an older position (a resync by hand into a rebuilt collection).
    docs.set('a', { _id: 'a', v: 'rebuilt', [POSITION_FIELD]: 3n });
    sink.calls.length = 0;
    assert.deepEqual(await statuses(sink, [upsert('a', 5n)]), ['written']);
    assert.deepEqual(sink.calls, ['find', 'update']);
  });

  test('a believed document that is gone (truncated, tombstone expired) is inserted, as a read finding nothing would', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    await sink.write([upsert('a', 10n)]);
    docs.clear();
    sink.calls.length = 0;
    assert.deepEqual(await statuses(sink, [upsert('a', 20n)]), ['written']);
    assert.deepEqual(sink.calls, ['update']);
    assert.deepEqual(docs.get('a'), { _id: 'a', v: 'v20', [POSITION_FIELD]: 20n });
  });

  test('a tombstone keeps its guard: an older upsert after the delete is stale, a newer one replaces it', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs);
    await sink.write([upsert('a', 10n)]);
    assert.deepEqual(await statuses(sink, [remove('a', 20n)]), ['written']);
    assert.equal(docs.get('a')?._cdc_deleted, true);
    assert.deepEqual(await statuses(sink, [upsert('a', 15n)]), ['stale']);
    assert.deepEqual(await statuses(sink, [upsert('a', 25n)]), ['written']);
    assert.deepEqual(docs.get('a'), { _id: 'a', v: 'v25', [POSITION_FIELD]: 25n });
  });

  test('a document without a position is taken over by the insert-if-absent statement', async () => {
    const docs = new Map<string, Doc>([['a', { _id: 'a', v: 'app' }]]);
    const sink = sinkOver(docs);
    assert.deepEqual(await statuses(sink, [upsert('a', 5n)]), ['written']);
    assert.deepEqual(sink.calls, ['update']);
    assert.deepEqual(docs.get('a'), { _id: 'a', v: 'v5', [POSITION_FIELD]: 5n });
  });

  test('after a restart on a full collection: the first batch collides and reads, the next ones read first', async () => {
    const docs = new Map<string, Doc>();
    await sinkOver(docs).write(ids(8).map((id) => upsert(id, 10n)));
    const restarted = sinkOver(docs);
    assert.deepEqual(
      await statuses(
        restarted,
        ids(4).map((id) => upsert(id, 20n)),
      ),
      Array(4).fill('written'),
    );
    assert.deepEqual(
      await statuses(
        restarted,
        ids(4, 4).map((id) => upsert(id, 5n)),
      ),
      Array(4).fill('stale'),
    );
    assert.deepEqual(restarted.calls, ['update', 'find', 'update', 'find']);
    assert.deepEqual(docs.get('id5'), { _id: 'id5', v: 'v10', [POSITION_FIELD]: 10n });
  });

  test('without a cache every batch reads first, as before', async () => {
    const docs = new Map<string, Doc>();
    const sink = sinkOver(docs, 0);
    await sink.write([upsert('a', 10n)]);
    await sink.write([upsert('a', 20n)]);
    assert.deepEqual(sink.calls, ['find', 'update', 'find', 'update']);
  });
});
