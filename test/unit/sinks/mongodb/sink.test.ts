// The MongoDB sink's decisions on what a server answers, with a fake collection: a failed request
// is retried, a refused document is dead-lettered, an older event is stale.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoBulkWriteError, type MongoClient } from 'mongodb';
import pino from 'pino';
import type { RowChange } from '../../../../src/decoder/types.js';
import { MongoSink } from '../../../../src/sinks/mongodb/sink.js';
import type { SinkOp } from '../../../../src/sinks/sink.js';

function bulkError(message: string, writeErrors: Array<{ index: number; code: number; errmsg: string }>) {
  return new MongoBulkWriteError(
    { message, code: undefined as unknown as number, writeErrors: writeErrors as never },
    { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0 } as never,
  );
}

function sinkAnswering(answer: () => Promise<unknown>): MongoSink {
  const collection = { bulkWrite: answer };
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

  test('a duplicate key on a guarded upsert means a newer document is stored: stale', async () => {
    const sink = sinkAnswering(async () => {
      throw bulkError('dup', [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }]);
    });
    assert.deepEqual(await sink.write([op]), [{ status: 'stale' }]);
  });
});
