// The MongoDB sink against the stack's server: what a duplicate key (E11000) means. The guarded
// upsert of a document stored at a newer position fails with E11000 on _id, which is "stale";
// a duplicate on another unique index (the user's own) is the document's fault and must be
// dead-lettered, never counted stale; two writers racing to create a document must end with the
// newer one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import pino from 'pino';
import { createSink } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load.js';
import type { RowChange } from '../../../src/decoder/types.js';
import type { Document } from '../../../src/router/document.js';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import { SNAPSHOT_POSITION, type Sink, type SinkOp } from '../../../src/sinks/sink.js';
import { dropDatabases } from '../support/cleanup.js';
import { mongodbWithTimeouts } from '../support/stores.js';
import { uniqueRunId } from '../support/stack.js';

const event = { position: { commitTsMs: 0 } } as unknown as RowChange;

function upsert(id: string, position: bigint, document: Document): SinkOp {
  return { kind: 'upsert', target: 'people', id, position, event, document, unchangedColumns: [] };
}

describe('MongoDB sink and duplicate keys', () => {
  const database = uniqueRunId('mongosink');
  let sink: Sink;
  let mongo: MongoClient;
  const people = () => mongo.db(database).collection<{ _id: string } & Record<string, unknown>>('people');

  before(async () => {
    mongo = await mongodbWithTimeouts();
    sink = createSink(
      'mongodb',
      loadConfig({ ...process.env, MONGODB_DATABASE: database }),
      pino({ level: 'silent' }),
    );
    await sink.connect();
    await people().createIndex({ email: 1 }, { unique: true });
  });

  after(async () => {
    await sink.close();
    await dropDatabases(mongo, [database]);
    await mongo.close();
  });

  test('an older write over a newer document is stale, and changes nothing', async () => {
    assert.deepEqual(await sink.write([upsert('1', 0x3000000n, { email: 'one@example.com', v: 'new' })]), [
      { status: 'written' },
    ]);
    assert.deepEqual(await sink.write([upsert('1', 0x2000000n, { email: 'one@example.com', v: 'old' })]), [
      { status: 'stale' },
    ]);
    assert.equal((await people().findOne({ _id: '1' }))?.v, 'new');
  });

  test("a duplicate on the user's own unique index is a permanent failure naming it, not stale", async () => {
    const [result] = await sink.write([upsert('2', 0x3000000n, { email: 'one@example.com', v: 'dup' })]);
    assert.equal(result?.status, 'failed');
    assert.ok(result?.status === 'failed' && !result.error.retriable);
    assert.match(result.status === 'failed' ? result.error.message : '', /unique index other than _id/);
    assert.equal(await people().countDocuments({ _id: '2' as never }), 0);
  });

  test('a snapshot read refreshes a document a snapshot wrote, never one the stream wrote', async () => {
    await sink.write([upsert('3', SNAPSHOT_POSITION, { email: 'three@example.com', v: 'read 1' })]);
    assert.deepEqual(
      await sink.write([upsert('3', SNAPSHOT_POSITION, { email: 'three@example.com', v: 'read 2' })]),
      [{ status: 'written' }],
    );
    await sink.write([upsert('3', 0x2000000n, { email: 'three@example.com', v: 'streamed' })]);
    assert.deepEqual(
      await sink.write([upsert('3', SNAPSHOT_POSITION, { email: 'three@example.com', v: 'read 3' })]),
      [{ status: 'stale' }],
    );
    const stored = await people().findOne({ _id: '3' });
    assert.equal(stored?.v, 'streamed');
    assert.equal(stored?.[POSITION_FIELD], 0x2000000n);
  });

  test('two writers racing to create the same documents: the newer change always stays', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    await Promise.all([
      sink.write(ids.map((id) => upsert(id, 0x2000000n, { email: `${id}-old@example.com`, v: 'older' }))),
      sink.write(ids.map((id) => upsert(id, 0x3000000n, { email: `${id}@example.com`, v: 'newer' }))),
    ]);
    const stored = await people()
      .find({ _id: { $in: ids } as never })
      .toArray();
    assert.deepEqual(
      stored.map((doc) => doc.v),
      ids.map(() => 'newer'),
    );
  });
});
