// A MongoDB server that answers ping but not queries (seen with FerretDB): every write must end in
// a retriable failure at its deadline, readiness must say the sink is not ready, and writes resume
// when the server does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { RowChange } from '../../../src/decoder/types.js';
import { MongoSink, createMongoClient } from '../../../src/sinks/mongodb/sink.js';
import type { SinkOp } from '../../../src/sinks/sink.js';
import { mongodb, stack, uniqueRunId } from '../support/stack.js';
import { WedgeProxy } from '../support/wedge-proxy.js';

const RUN = uniqueRunId('mongo-wedged').replaceAll('-', '_');
let proxy: WedgeProxy;
let sink: MongoSink;

const op = (position: bigint): SinkOp => ({
  kind: 'upsert',
  target: 'inventory.customers',
  id: '1',
  position,
  document: { v: String(position) },
  unchangedColumns: [],
  event: {} as RowChange,
});

before(async () => {
  const address = new URL(stack.mongodbUrl);
  proxy = await WedgeProxy.start({ host: address.hostname, port: Number(address.port || 27017) });
  sink = new MongoSink(createMongoClient(proxy.url, 1000), {
    url: proxy.url,
    database: RUN,
    logger: pino({ level: 'silent' }),
  });
  await sink.connect();
});

after(async () => {
  await sink.close();
  await proxy.close();
  const client = await mongodb();
  await client.db(RUN).dropDatabase();
  await client.close();
});

test('a server that answers ping but not queries: writes fail retriably, readiness says not ready', async () => {
  assert.deepEqual(await sink.write([op(1n)]), [{ status: 'written' }]);
  assert.equal(await sink.ping(), true);
  proxy.wedged = true;
  const [result] = await sink.write([op(2n)]);
  assert.equal(result?.status, 'failed');
  assert.ok(result?.status === 'failed' && result.error.retriable, 'retried, never dead-lettered');
  assert.equal(await sink.ping(), false, 'ping alone would still answer');
  proxy.wedged = false;
  assert.deepEqual(await sink.write([op(3n)]), [{ status: 'written' }]);
  assert.equal(await sink.ping(), true);
});
