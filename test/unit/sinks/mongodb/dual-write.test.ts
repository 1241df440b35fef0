import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from 'mongodb';
import pino from 'pino';
import { TransientSinkError } from '../../../../src/errors.js';
import { completeFromLive, DualWriteMongoSink } from '../../../../src/sinks/mongodb/dual-write.js';
import type { Sink, SinkOp, SinkOpResult, UpsertOp } from '../../../../src/sinks/sink.js';
import { reloadableUpsert } from '../support/reloadable-upsert.js';

const event = {} as UpsertOp['event'];

function upsert(
  target: string,
  id: string,
  document: UpsertOp['document'],
  unchangedColumns: string[] = [],
): UpsertOp {
  return { kind: 'upsert', target, id, position: 100n, document, unchangedColumns, event };
}

/** A Db whose control collection holds `records` and whose collections hold `docs` by name. */
function fakeDb(
  records: unknown[],
  docs: Record<string, Array<{ _id: string } & Record<string, unknown>>> = {},
) {
  return {
    collection: (name: string) => ({
      find: (filter: { _id?: { $in: string[] } }) => ({
        toArray: async () =>
          name === '_cdc_fanout_reindexes'
            ? records
            : (docs[name] ?? []).filter((doc) => filter._id?.$in.includes(doc._id)),
      }),
    }),
  } as unknown as Db;
}

/** An inner sink that records each write's targets and answers from `answer`. */
function recordingSink(answer: (op: SinkOp) => SinkOpResult = () => ({ status: 'written' })) {
  const calls: string[][] = [];
  const sink = {
    name: 'mongodb',
    write: async (ops: readonly SinkOp[]) => {
      calls.push(ops.map((op) => `${op.target}/${op.id}`));
      return ops.map(answer);
    },
    truncate: async (target: string) => void calls.push([`truncate ${target}`]),
  } as unknown as Sink;
  return { sink, calls };
}

const reindexing = [{ _id: 's.a', phase: 'backfill', shadow: 's.a_v2', version: 2, createdAtMs: 1 }];
const options = { discoveryMs: 60_000, logger: pino({ level: 'silent' }) };

describe('MongoDB dual write during a reindex', () => {
  test('the whole batch goes to the new collection first, then to the live names', async () => {
    const { sink, calls } = recordingSink();
    const dual = new DualWriteMongoSink(sink, fakeDb(reindexing), options);
    const results = await dual.write([
      upsert('s.a', '1', { x: 1 }),
      upsert('s.b', '2', { x: 2 }),
      upsert('s.a', '3', {}),
    ]);
    assert.deepEqual(calls, [
      ['s.a_v2/1', 's.a_v2/3'],
      ['s.a/1', 's.b/2', 's.a/3'],
    ]);
    assert.deepEqual(results, [{ status: 'written' }, { status: 'written' }, { status: 'written' }]);
  });

  test('an operation that lets go of its document once encoded is copied with its document', async () => {
    const documents: unknown[] = [];
    const sink = {
      name: 'mongodb',
      write: async (ops: readonly SinkOp[]) => {
        // As MongoSink does: each document read to encode it, then let go of.
        for (const op of ops) {
          if (op.kind !== 'upsert') continue;
          documents.push([op.target, op.document]);
          op.release?.();
        }
        return ops.map(() => ({ status: 'written' }));
      },
    } as unknown as Sink;
    const { op, redecodes } = reloadableUpsert('s.a', '1', 100n, { x: 1 });
    await new DualWriteMongoSink(sink, fakeDb(reindexing), options).write([op]);
    assert.deepEqual(documents, [
      ['s.a_v2', { x: 1 }],
      ['s.a', { x: 1 }],
    ]);
    assert.equal(redecodes(), 0, 'the copy took the document before the sink let go of it');
  });

  test('an operation whose copy failed fails, to be retried', async () => {
    const failure = new TransientSinkError('down');
    const { sink } = recordingSink((op) =>
      op.target === 's.a_v2' ? { status: 'failed', error: failure } : { status: 'written' },
    );
    const results = await new DualWriteMongoSink(sink, fakeDb(reindexing), options).write([
      upsert('s.a', '1', {}),
    ]);
    assert.deepEqual(results, [{ status: 'failed', error: failure }]);
  });

  test('without a running reindex, one write of the batch as it is', async () => {
    const { sink, calls } = recordingSink();
    const done = [{ ...reindexing[0], phase: 'switched' }];
    await new DualWriteMongoSink(sink, fakeDb(done), options).write([upsert('s.a', '1', {})]);
    assert.deepEqual(calls, [['s.a/1']]);
  });

  test('while the switch pauses a collection, its writes fail as transient and nothing is written', async () => {
    const { sink, calls } = recordingSink();
    const pausing = [{ ...reindexing[0], phase: 'pausing' }];
    const results = await new DualWriteMongoSink(sink, fakeDb(pausing), options).write([
      upsert('s.a', '1', {}),
      upsert('s.b', '2', {}),
    ]);
    assert.deepEqual(calls, [['s.b/2']]);
    assert.equal(results[0]!.status, 'failed');
    assert.ok(results[0]!.status === 'failed' && results[0]!.error.retriable);
    assert.deepEqual(results[1], { status: 'written' });
  });

  test('a paused write looks the reindex up again at once: it resumes as soon as the switch is recorded', async () => {
    const { sink, calls } = recordingSink();
    const records: unknown[] = [{ ...reindexing[0], phase: 'pausing' }];
    const dual = new DualWriteMongoSink(sink, fakeDb(records), options);
    assert.equal((await dual.write([upsert('s.a', '1', {})]))[0]!.status, 'failed');
    records[0] = { ...reindexing[0], phase: 'switched' };
    assert.deepEqual(await dual.write([upsert('s.a', '1', {})]), [{ status: 'written' }]);
    assert.deepEqual(calls, [['s.a/1']]);
  });

  test('a truncate empties the new collection first, then the live one', async () => {
    const { sink, calls } = recordingSink();
    await new DualWriteMongoSink(sink, fakeDb(reindexing), options).truncate('s.a', {
      position: 5n,
      commitTsMs: 1,
    });
    assert.deepEqual(calls, [['truncate s.a_v2'], ['truncate s.a']]);
  });

  test('a partial update is copied with the unchanged columns the live document holds', async () => {
    const writes: SinkOp[][] = [];
    const sink = {
      write: async (ops: readonly SinkOp[]) => {
        writes.push([...ops]);
        return ops.map(() => ({ status: 'written' }));
      },
    } as unknown as Sink;
    const live = { 's.a': [{ _id: '1', body: 'long text', 'a．b': 'dotted', _cdc_lsn: 50n }] };
    await new DualWriteMongoSink(sink, fakeDb(reindexing, live), options).write([
      upsert('s.a', '1', { x: 2 }, ['body', 'a.b', 'gone']),
    ]);
    const copy = writes[0]![0] as UpsertOp;
    assert.deepEqual(copy.document, { x: 2, body: 'long text', 'a.b': 'dotted' });
    assert.deepEqual(copy.unchangedColumns, ['gone']);
    assert.deepEqual(
      (writes[1]![0] as UpsertOp).unchangedColumns,
      ['body', 'a.b', 'gone'],
      'the live write as it came',
    );
  });

  test('a partial copy stays partial when the live document is a tombstone or missing', () => {
    const op = upsert('s.a_v2', '1', { x: 2 }, ['body']);
    assert.equal(completeFromLive(op, undefined), op);
    assert.equal(completeFromLive(op, { _id: '1', body: 'old', _cdc_deleted: true }), op);
  });
});
