// The MongoDB sink's decisions on what a server answers, with a fake collection: a failed request
// is retried, a refused document is dead-lettered, an older event is stale.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON, MongoBulkWriteError, type MongoClient } from 'mongodb';
import type { DocumentSequence } from 'mongodb/lib/cmap/commands.js';
import pino from 'pino';
import type { RowChange } from '../../../../src/decoder/types.js';
import { MAX_DOCUMENT_BYTES, MongoSink, type WriteGuard } from '../../../../src/sinks/mongodb/sink.js';
import type { Document } from '../../../../src/router/document.js';
import type { SinkOp, SinkOpResult } from '../../../../src/sinks/sink.js';
import { reloadableUpsert } from '../support/reloadable-upsert.js';
import { sentStatements } from './support/sent-statements.js';

/** A bulk error; `succeeded` statements without an error are counted as matched, as servers do. */
function bulkError(
  message: string,
  writeErrors: Array<{ index: number; code: number; errmsg: string }>,
  succeeded = 0,
) {
  return new MongoBulkWriteError(
    { message, code: undefined as unknown as number, writeErrors: writeErrors as never },
    {
      insertedCount: 0,
      matchedCount: succeeded,
      modifiedCount: succeeded,
      deletedCount: 0,
      upsertedCount: 0,
    } as never,
  );
}

/** The driver model a statement of an `update` command stands for. */
function modelOf(statement: { q: object; u: object }) {
  return Object.keys(statement.u).some((key) => key.startsWith('$'))
    ? { updateOne: { filter: statement.q, update: statement.u, upsert: true } }
    : { replaceOne: { filter: statement.q, replacement: statement.u, upsert: true } };
}

/**
 * A sink over a fake database: `find` answers the stored positions of `stored`, each `update`
 * command is `answer` on its statements as driver models, whose bulk error (if any) becomes the
 * reply's writeErrors and count, as a server replies. Every call is recorded. By compare-and-set
 * without a position cache every batch reads first: these tests are about what the sink makes of
 * the server's answers (position-cache.test.ts has the cache; the range guard has its own tests
 * below).
 */
function sinkAnswering(
  answer: (models: unknown[]) => Promise<unknown>,
  stored: () => Record<string, bigint> = () => ({}),
  writeGuard: WriteGuard = 'compare-and-set',
) {
  const calls: string[] = [];
  const collection = {
    collectionName: 'c',
    createIndex: async () => 'ok',
    find: (filter: { _id: { $in: string[] } }) => ({
      toArray: async () => {
        calls.push('find');
        const positions = stored();
        return filter._id.$in
          .filter((id) => id in positions)
          .map((id) => ({ _id: id, _cdc_lsn: positions[id] }));
      },
    }),
  };
  const db = {
    collection: () => collection,
    command: async (command: { update: string; updates: DocumentSequence }) => {
      calls.push('update');
      const models = sentStatements<{ q: object; u: object }>(command.updates).map(modelOf);
      try {
        await answer(models);
        return { ok: 1, n: models.length };
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError) || Object.keys(error.writeErrors).length === 0)
          throw error;
        const { matchedCount, upsertedCount } = error.result;
        return { ok: 1, n: matchedCount + upsertedCount, writeErrors: error.writeErrors };
      }
    },
  };
  const client = { db: () => db } as unknown as MongoClient;
  const sink = new MongoSink(client, {
    url: 'mongodb://fake',
    database: 'db',
    logger: pino({ level: 'silent' }),
    writeGuard,
  });
  return Object.assign(sink, { calls });
}

const statusesOf = (results: SinkOpResult[]) => results.map((result) => result.status);

const op: SinkOp = {
  kind: 'upsert',
  target: 'inventory.customers',
  id: '1',
  position: 10n,
  document: { id: 1, name: 'x' },
  unchangedColumns: [],
  event: {} as RowChange,
};

describe('MongoSink.write', () => {
  test('a bulk error with no document error (connection refused) is transient, not a dead letter', async () => {
    const sink = sinkAnswering(async () => {
      throw bulkError('connect ECONNREFUSED 127.0.0.1:27017', []);
    });
    const [result] = await sink.write([op]);
    assert.equal(result?.status, 'failed');
    assert.equal(result?.status === 'failed' && result.error.retriable, true);
  });

  test('a refused document is permanent', async () => {
    const sink = sinkAnswering(async () => {
      throw bulkError('bad', [{ index: 0, code: 2, errmsg: 'invalid key' }]);
    });
    const [result] = await sink.write([op]);
    assert.equal(result?.status === 'failed' && result.error.retriable, false);
  });

  test('a duplicate on _id is re-checked: stale only if the re-read finds a newer position', async () => {
    let stored: Record<string, bigint> = {};
    let attempt = 0;
    const sink = sinkAnswering(
      async () => {
        attempt += 1;
        // Another instance wrote position 12 between this sink's read and its write.
        stored = { '1': 12n };
        if (attempt === 1)
          throw bulkError('dup', [
            {
              index: 0,
              code: 11000,
              errmsg: 'E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "1" }',
            },
          ]);
        return {};
      },
      () => stored,
    );
    assert.deepEqual(await sink.write([op]), [{ status: 'stale' }]);
    assert.deepEqual(sink.calls, ['find', 'update', 'find']);
  });

  test('a duplicate on _id whose re-read still shows an older position is written again, not dropped', async () => {
    let stored: Record<string, bigint> = {};
    const written: unknown[] = [];
    const sink = sinkAnswering(
      async (models) => {
        if (written.length === 0) {
          // An older writer (resync, a rebalanced-away instance) inserted position 7 meanwhile.
          stored = { '1': 7n };
          written.push('lost race');
          throw bulkError('dup', [
            {
              index: 0,
              code: 11000,
              errmsg: 'E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "1" }',
            },
          ]);
        }
        written.push(models[0]);
        return {};
      },
      () => stored,
    );
    assert.deepEqual(await sink.write([op]), [{ status: 'written' }]);
    const retried = written[1] as { replaceOne: { filter: Record<string, unknown> } };
    assert.deepEqual(
      retried.replaceOne.filter,
      { _id: '1', _cdc_lsn: 7n },
      'compare-and-set on the re-read position',
    );
  });

  test("a duplicate on another unique index (the user's) is permanent, never stale", async () => {
    const sink = sinkAnswering(async () => {
      throw bulkError('dup', [
        {
          index: 0,
          code: 11000,
          errmsg: 'E11000 duplicate key error collection: db.c index: email_1 dup key: { email: "x" }',
        },
      ]);
    });
    const [result] = await sink.write([op]);
    assert.equal(result?.status, 'failed');
    assert.ok(result?.status === 'failed' && !result.error.retriable);
  });

  test('one failed statement in a bulk fails only itself: no round trip per statement', async () => {
    const sink = sinkAnswering(async () => {
      throw bulkError('bad', [{ index: 1, code: 2, errmsg: 'invalid' }], 2);
    });
    const results = await sink.write([op, { ...op, id: '2' }, { ...op, id: '3' }]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['written', 'failed', 'written'],
    );
    assert.deepEqual(sink.calls, ['find', 'update']);
  });

  test('stored positions at or above the event are stale without any write', async () => {
    const sink = sinkAnswering(
      async () => assert.fail('nothing to write'),
      () => ({ '1': 10n, '2': 11n }),
    );
    const results = await sink.write([op, { ...op, id: '2' }]);
    assert.deepEqual(results, [{ status: 'stale' }, { status: 'stale' }]);
    assert.deepEqual(sink.calls, ['find']);
  });

  test('a server that stopped at its first error (fewer successes than statements) gets the rest planned again', async () => {
    let stored: Record<string, bigint> = {};
    let attempt = 0;
    const sink = sinkAnswering(
      async () => {
        attempt += 1;
        if (attempt === 1) {
          // FerretDB: statement 0 failed, 1 and 2 never ran, and the result counts say so.
          throw new MongoBulkWriteError(
            {
              message: 'bad',
              code: undefined as unknown as number,
              writeErrors: [{ index: 0, code: 2, errmsg: 'invalid' }] as never,
            },
            {
              insertedCount: 0,
              matchedCount: 0,
              modifiedCount: 0,
              deletedCount: 0,
              upsertedCount: 0,
            } as never,
          );
        }
        stored = { '2': 10n, '3': 10n };
        return {};
      },
      () => stored,
    );
    const results = await sink.write([op, { ...op, id: '2' }, { ...op, id: '3' }]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['failed', 'written', 'written'],
    );
  });
});

describe('MongoSink.write with the range guard (the default)', () => {
  const duplicateOnId = (index: number) => ({
    index,
    code: 11000,
    errmsg: `E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "${index}" }`,
  });
  type Statement = { replaceOne: { filter: Record<string, unknown>; replacement: Record<string, unknown> } };

  test('one bulk round trip, no read: each statement filters on _id and a position stored before the event', async () => {
    const bulks: unknown[][] = [];
    const sink = sinkAnswering(
      async (models) => {
        bulks.push(models);
        return {};
      },
      () => assert.fail('no read'),
      'range',
    );
    const results = await sink.write([op, { ...op, id: '2', position: 11n }]);
    assert.deepEqual(results, [{ status: 'written' }, { status: 'written' }]);
    assert.deepEqual(sink.calls, ['update']);
    assert.deepEqual(
      (bulks[0] as Statement[]).map(({ replaceOne }) => replaceOne.filter),
      [
        { _id: '1', _cdc_lsn: { $not: { $gte: 10n } } },
        { _id: '2', _cdc_lsn: { $not: { $gte: 11n } } },
      ],
    );
  });

  test('a collision on _id is read: stale when the stored position is at or after the event, without another write', async () => {
    const sink = sinkAnswering(
      async () => {
        throw bulkError('dup', [duplicateOnId(0), duplicateOnId(1)], 1);
      },
      () => ({ '1': 10n, '2': 12n }),
      'range',
    );
    const results = await sink.write([op, { ...op, id: '2' }, { ...op, id: '3' }]);
    assert.deepEqual(results, [{ status: 'stale' }, { status: 'stale' }, { status: 'written' }]);
    assert.deepEqual(sink.calls, ['update', 'find']);
  });

  test('a collision whose read finds an older position (an older write inserted it meanwhile) is written by compare-and-set, not called stale', async () => {
    const bulks: unknown[][] = [];
    const sink = sinkAnswering(
      async (models) => {
        bulks.push(models);
        if (bulks.length === 1) throw bulkError('dup', [duplicateOnId(0)]);
        return {};
      },
      () => ({ '1': 7n }),
      'range',
    );
    assert.deepEqual(await sink.write([op]), [{ status: 'written' }]);
    assert.deepEqual(sink.calls, ['update', 'find', 'update']);
    assert.deepEqual((bulks[1] as Statement[])[0]!.replaceOne.filter, { _id: '1', _cdc_lsn: 7n });
  });

  test('each document is let go once encoded; one planned again after a collision is read again, a stale one never', async () => {
    const bulks: unknown[][] = [];
    const sink = sinkAnswering(
      async (models) => {
        bulks.push(models);
        if (bulks.length === 1) throw bulkError('dup', [duplicateOnId(0), duplicateOnId(1)]);
        return {};
      },
      () => ({ '1': 7n, '2': 12n }),
      'range',
    );
    const older = reloadableUpsert('c', '1', 10n, { id: 1, name: 'n1' });
    const newer = reloadableUpsert('c', '2', 10n, { id: 2, name: 'n2' });
    assert.deepEqual(statusesOf(await sink.write([older.op, newer.op])), ['written', 'stale']);
    assert.deepEqual(sink.calls, ['update', 'find', 'update']);
    assert.deepEqual((bulks[1] as Statement[])[0]!.replaceOne.replacement, {
      id: 1,
      name: 'n1',
      _cdc_lsn: 10n,
    });
    // Decoded again to be planned again after its collision; the stale one never.
    assert.deepEqual([older.redecodes(), newer.redecodes()], [1, 0]);
    // Both let go of after their last encoding: read now, each is decoded again.
    assert.deepEqual(
      [older.op.document, newer.op.document],
      [
        { id: 1, name: 'n1' },
        { id: 2, name: 'n2' },
      ],
    );
    assert.deepEqual([older.redecodes(), newer.redecodes()], [2, 1]);
  });

  test("a collision on another unique index (the user's) is permanent, never read", async () => {
    const sink = sinkAnswering(
      async () => {
        throw bulkError('dup', [
          {
            index: 0,
            code: 11000,
            errmsg: 'E11000 duplicate key error collection: db.c index: email_1 dup key',
          },
        ]);
      },
      () => ({}),
      'range',
    );
    const [result] = await sink.write([op]);
    assert.ok(result?.status === 'failed' && !result.error.retriable);
    assert.deepEqual(sink.calls, ['update']);
  });
});

describe('MongoSink.write with the range guard, in a replay', () => {
  /** A collection of positions that applies both guards' statements as a server would. */
  function positionsServer(stored: Record<string, bigint>) {
    return async (models: unknown[]) => {
      const errors: Array<{ index: number; code: number; errmsg: string }> = [];
      (
        models as Array<{
          replaceOne: { filter: Record<string, unknown>; replacement: { _cdc_lsn: bigint } };
        }>
      ).forEach(({ replaceOne: { filter, replacement } }, index) => {
        const id = filter['_id'] as string;
        const guard = filter['_cdc_lsn'] as { $not?: { $gte: bigint } } | bigint | null;
        const current = stored[id];
        const matches =
          typeof guard === 'object' && guard !== null && '$not' in guard
            ? current === undefined || !(current >= guard.$not!.$gte)
            : current === (guard ?? undefined);
        if (matches || current === undefined) stored[id] = replacement._cdc_lsn;
        else
          errors.push({
            index,
            code: 11000,
            errmsg: `E11000 duplicate key error index: _id_ dup key: ${id}`,
          });
      });
      if (errors.length > 0) throw bulkError('dup', errors, models.length - errors.length);
      return {};
    };
  }
  const batch = (position: bigint) => ['1', '2', '3'].map((id) => ({ ...op, id, position }));

  test('after a batch that mostly collided, the next ones read first: one round trip each, no write', async () => {
    const stored: Record<string, bigint> = { '1': 50n, '2': 50n, '3': 50n };
    const sink = sinkAnswering(positionsServer(stored), () => stored, 'range');
    assert.deepEqual(statusesOf(await sink.write(batch(10n))), ['stale', 'stale', 'stale']);
    assert.deepEqual(sink.calls, ['update', 'find']);
    sink.calls.length = 0;
    assert.deepEqual(statusesOf(await sink.write(batch(20n))), ['stale', 'stale', 'stale']);
    assert.deepEqual(sink.calls, ['find']);
    assert.deepEqual(stored, { '1': 50n, '2': 50n, '3': 50n }, 'nothing changed');
  });

  test('once a read finds most events newer (the replay is over), the guarded write without a read is back', async () => {
    const stored: Record<string, bigint> = { '1': 50n, '2': 50n, '3': 50n };
    const sink = sinkAnswering(positionsServer(stored), () => stored, 'range');
    await sink.write(batch(10n));
    sink.calls.length = 0;
    assert.deepEqual(statusesOf(await sink.write(batch(60n))), ['written', 'written', 'written']);
    assert.deepEqual(sink.calls, ['find', 'update'], 'read first, then compare-and-set');
    sink.calls.length = 0;
    assert.deepEqual(statusesOf(await sink.write(batch(70n))), ['written', 'written', 'written']);
    assert.deepEqual(sink.calls, ['update']);
    assert.deepEqual(stored, { '1': 70n, '2': 70n, '3': 70n });
  });
});

describe('MongoSink.write: documents over the 16 MiB limit', () => {
  const upsert = (id: string, document: Document): SinkOp => ({ ...op, id, document });
  const written: string[] = [];
  /** A server that writes whatever it is sent. */
  const writing = () =>
    sinkAnswering(async (models) => {
      for (const model of models as Array<{ replaceOne: { filter: { _id: string } } }>)
        written.push(model.replaceOne.filter._id);
    });

  /** Writes documents 1, `middle` and 3: only the middle one fails, for good, saying `why`. */
  const onlyMiddleRefused = async (sink: ReturnType<typeof writing>, middle: Document, why: RegExp) => {
    written.length = 0;
    const results = await sink.write([upsert('1', { id: 1 }), upsert('2', middle), upsert('3', { id: 3 })]);
    assert.deepEqual(statusesOf(results), ['written', 'failed', 'written']);
    const failed = results[1]!;
    assert.ok(failed.status === 'failed' && !failed.error.retriable, 'permanent: dead-lettered, not retried');
    assert.match(failed.status === 'failed' ? failed.error.message : '', why);
    assert.deepEqual(written.sort(), ['1', '3']);
  };

  test('a document over 16 MiB is a permanent failure naming its size and the limit; the rest is written', async () => {
    written.length = 0;
    const big = 'x'.repeat(MAX_DOCUMENT_BYTES + 1024);
    const sink = writing();
    const results = await sink.write([
      upsert('1', { id: 1 }),
      upsert('2', { id: 2, big }),
      upsert('3', { id: 3 }),
    ]);
    assert.deepEqual(results[0], { status: 'written' });
    assert.deepEqual(results[2], { status: 'written' });
    const failed = results[1]!;
    assert.equal(failed.status, 'failed');
    assert.ok(failed.status === 'failed' && !failed.error.retriable, 'permanent: dead-lettered, not retried');
    assert.match(
      failed.status === 'failed' ? failed.error.message : '',
      /too large: 1677\d{4} bytes .*limit 16777216 bytes/,
    );
    assert.deepEqual(written.sort(), ['1', '3']);
    assert.deepEqual(sink.calls, ['find', 'update'], 'refused before sending: one command for the rest');
  });

  test('a document under the limit whose statement is not is refused too, as the driver refuses it', async () => {
    const edge = 'y'.repeat(MAX_DOCUMENT_BYTES - 40);
    assert.ok(
      BSON.calculateObjectSize({ e: edge, _cdc_lsn: 10n }) < MAX_DOCUMENT_BYTES,
      'the stored document fits',
    );
    await onlyMiddleRefused(writing(), { e: edge }, /too large: 167772\d\d bytes of BSON/);
  });

  test('statements that fit one by one but not in one command are sent in several', async () => {
    written.length = 0;
    const third = 'z'.repeat(MAX_DOCUMENT_BYTES / 3);
    const sink = writing();
    const ops = ['1', '2', '3', '4'].map((id) => upsert(id, { third }));
    assert.deepEqual(statusesOf(await sink.write(ops)), ['written', 'written', 'written', 'written']);
    assert.deepEqual(sink.calls, ['find', 'update', 'update']);
    assert.deepEqual(written.sort(), ['1', '2', '3', '4']);
  });

  test("a statement beyond the BSON encoder's 17 MiB buffer is too large too, with its measured size", async () => {
    const huge = 'h'.repeat(20 * 1024 * 1024);
    await onlyMiddleRefused(writing(), { huge }, /too large: 20971\d{3} bytes of BSON/);
  });

  test('a statement too large for js-bson to measure (a `_bsontype` field) is still called too large', async () => {
    const huge = 'h'.repeat(20 * 1024 * 1024);
    await onlyMiddleRefused(
      writing(),
      { huge, json: { _bsontype: 'Long', n: 1 } },
      /too large: over 17825792 bytes of BSON \(limit 16777216 bytes/,
    );
  });

  test('a value BSON cannot encode is permanent for that document only, not a transient request failure', async () => {
    await onlyMiddleRefused(writing(), { 'nul\u0000key': 1 }, /cannot encode the document: BSONError/);
  });
});
