// Issue 13.2: resync's snapshot holds row X, the application deletes X, the running service's
// stream deletes X's document, and only then does resync's page with X reach MongoDB. X must stay
// deleted: its page carries a position below the delete, and the delete left a tombstone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { resyncTable } from '../../../src/resync/resync.js';
import { Router } from '../../../src/router/router.js';
import { MongoSink, createMongoClient } from '../../../src/sinks/mongodb/sink.js';
import type { Sink, SinkOp } from '../../../src/sinks/sink.js';
import { mongoReader } from '../../../src/verify/sink-readers.js';
import type { Stores } from '../support/converge.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { postgres, stack, uniqueRunId } from '../support/stack.js';
import pino from 'pino';

describe('resync racing a delete in MongoDB', { timeout: 300_000 }, () => {
  const fixture = new TestRun(uniqueRunId('resync-delete'));
  const { env, tables, service } = fixture;
  const table = `inventory.${tables.names.customers}`;
  let stores: Stores;

  before(async () => {
    ({ stores } = await fixture.open());
    await service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  test("a row deleted after resync's snapshot stays deleted when resync's page arrives later", async () => {
    const config = loadConfig({ ...process.env, ...env, MONGODB_URL: stack.mongodbUrl });
    const [schema = '', name = ''] = table.split('.');
    const route = new Router(config, 'mongodb').routesFor({ database: '', schema, table: name })[0];
    assert.ok(route, `${table} is routed to mongodb`);
    const mongo = createMongoClient(stack.mongodbUrl);
    const sink = new MongoSink(mongo, { ...config.mongodb, logger: pino({ level: 'silent' }) });
    const reader = mongoReader(mongo.db(config.mongodb.database));
    const { rows } = await stores.pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id LIMIT 1`);
    const victim = String(rows[0]!.id);
    const other = await postgres();

    // Resync's first write waits until the stream has applied the delete of the victim, which the
    // application commits after resync took its snapshot.
    let raced = false;
    const racing: Sink = Object.assign(Object.create(sink) as MongoSink, {
      write: async (ops: readonly SinkOp[]) => {
        if (!raced && ops.some((op) => op.id === victim)) {
          raced = true;
          await other.query(`DELETE FROM ${table} WHERE id = $1`, [Number(victim)]);
          await pollUntil(
            'the stream deletes the victim',
            async () => (await reader.fetch(route.target, [victim])).size === 0,
          );
        }
        return sink.write(ops);
      },
    });
    try {
      await sink.connect();
      const result = await resyncTable(stores.pg, racing, reader, route, {});
      assert.ok(raced, "resync's page held the victim");
      assert.ok(result.stale >= 1, 'the page write of the deleted row was refused as stale');
      assert.equal((await reader.fetch(route.target, [victim])).size, 0, 'the deleted row stays deleted');
      await fixture.converge();
    } finally {
      await other.end();
      await sink.close();
    }
  });
});
