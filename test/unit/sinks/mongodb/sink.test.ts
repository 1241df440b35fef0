// The MongoDB sink's decisions on what a server answers, with a fake collection: a failed request
// is retried, a refused document is dead-lettered, an older event is stale.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON, MongoBulkWriteError, MongoInvalidArgumentError, type MongoClient } from 'mongodb';
import pino from 'pino';
import type { RowChange } from '../../../../src/decoder/types.js';
import { MAX_DOCUMENT_BYTES, MongoSink } from '../../../../src/sinks/mongodb/sink.js';
import type { Document } from '../../../../src/router/document.js';
import type { SinkOp } from '../../../../src/sinks/sink.js';

function bulkError(message: string, writeErrors: Array<{ index: number; code: number; errmsg: string }>) {
  return new MongoBulkWriteError(
    { message, code: undefined as unknown as number, writeErrors: writeErrors as never },
    { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0 } as never,
  );
}

function sinkAnswering(
  answer: (models: unknown[]) => Promise<unknown>,
  stored: Record<string, unknown> | null = null,
): MongoSink {
  const collection = { bulkWrite: answer, findOne: async () => stored };
  const client = { db: () => ({ collection: () => collection }) } as unknown as MongoClient;
  return new MongoSink(client, { url: 'mongodb://fake', database: 'db', logger: pino({ level: 'silent' }) });
}

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

  test('a duplicate key on a guarded upsert with a newer document stored: stale', async () => {
    const sink = sinkAnswering(
      async () => {
        throw bulkError('dup', [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }]);
      },
      { _id: '1', _cdc_lsn: 20n },
    );
    assert.deepEqual(await sink.write([op]), [{ status: 'stale' }]);
  });

  test('a duplicate key with no newer document stored: tried once more, then refused for good', async () => {
    let attempts = 0;
    const sink = sinkAnswering(async () => {
      attempts++;
      throw bulkError('dup', [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }]);
    });
    const [result] = await sink.write([op]);
    assert.equal(result?.status === 'failed' && result.error.retriable, false);
    assert.match(result?.status === 'failed' ? result.error.message : '', /unique index other than _id/);
    // The group's bulk write, the document alone, and the one retry.
    assert.equal(attempts, 3);
  });
});

describe('MongoSink.write: documents over the 16 MiB limit', () => {
  const upsert = (id: string, document: Document): SinkOp => ({ ...op, id, document });
  const written: string[] = [];
  /** A collection that, like the driver, refuses client-side any statement over 16 MiB. */
  const driverLike = () =>
    sinkAnswering(async (models) => {
      for (const model of models as Array<{ replaceOne: { filter: { _id: string }; replacement: object } }>) {
        if (BSON.calculateObjectSize(model) >= MAX_DOCUMENT_BYTES)
          throw new MongoInvalidArgumentError(
            `Document is larger than the maximum size ${MAX_DOCUMENT_BYTES}`,
          );
      }
      for (const model of models as Array<{ replaceOne: { filter: { _id: string } } }>)
        written.push(model.replaceOne.filter._id);
      return {};
    });

  test('a document over 16 MiB is a permanent failure naming its size and the limit; the rest is written', async () => {
    written.length = 0;
    const big = 'x'.repeat(MAX_DOCUMENT_BYTES + 1024);
    const results = await driverLike().write([
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
  });

  test("the driver's own client-side refusal is permanent for that document only, not a transient request failure", async () => {
    written.length = 0;
    // Under the stored-document limit, but the statement around it is not: the driver refuses it.
    const edge = 'y'.repeat(MAX_DOCUMENT_BYTES - 100);
    const sink = driverLike();
    const results = await sink.write([
      upsert('1', { id: 1 }),
      upsert('2', { e: edge }),
      upsert('3', { id: 3 }),
    ]);
    assert.deepEqual(results[0], { status: 'written' });
    assert.deepEqual(results[2], { status: 'written' });
    const failed = results[1]!;
    assert.ok(failed.status === 'failed' && !failed.error.retriable, 'permanent');
    assert.match(
      failed.status === 'failed' ? failed.error.message : '',
      /too large: the write is \d+ bytes of BSON \(limit 16777216 bytes\).*larger than the maximum size/,
    );
    assert.deepEqual(written.sort(), ['1', '3']);
  });
});
