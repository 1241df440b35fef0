// Resync racing a delete, in both sinks. Resync's snapshot still holds row X; the application then
// deletes X, the stream deletes X's document, and only then does resync's page write X (at a
// position below the delete's). MongoDB had forgotten the delete with the document, and
// Elasticsearch forgets it after index.gc_deletes (60 s on an index the service did not create):
// X came back and stayed. Resync now checks, after its snapshot, which of the documents it holds
// still have a row, and removes the others.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createSink } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load.js';
import type { SinkName } from '../../../src/config/tables.js';
import { resyncTable } from '../../../src/resync/resync.js';
import { Router } from '../../../src/router/router.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { elasticsearchReader, mongoReader } from '../../../src/verify/sink-readers.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { postgres, uniqueRunId } from '../support/stack.js';

describe('resync racing a delete of a row its snapshot holds', { timeout: 300_000 }, () => {
  // Deletes forgotten at once: as on an index the service did not create (60 s) after a while.
  const fixture = new TestRun(uniqueRunId('resyncrace'), { env: { ELASTICSEARCH_GC_DELETES: '0s' } });
  const { env, tables, service } = fixture;
  const table = `inventory.${tables.names.customers}`;

  before(async () => {
    await fixture.open();
    await service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  for (const sinkName of ['elasticsearch', 'mongodb'] as const satisfies readonly SinkName[]) {
    test(`${sinkName}: the deleted row does not come back`, async () => {
      const { pg, es, mongo } = fixture.stores;
      const config = loadConfig({ ...process.env, ...env });
      const logger = pino({ level: 'silent' });
      const route = new Router(config, sinkName).routesFor({
        database: '',
        schema: 'inventory',
        table: tables.names.customers,
      })[0]!;
      const { rows } = await pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id DESC LIMIT 1`);
      const victim = String(rows[0]!.id);
      const reader =
        sinkName === 'elasticsearch' ? elasticsearchReader(es) : mongoReader(mongo.db(env.MONGODB_DATABASE));
      // What a reader of the sink sees (MongoDB's tombstones are no documents).
      const stored = async () => (await reader.fetch(route.target, [victim])).has(victim);
      assert.equal(await stored(), true);

      // The real sink, except that the page holding the victim waits until the application
      // deleted the row and the stream deleted its document.
      const sink = createSink(sinkName, config, logger);
      const racing: Sink = Object.create(sink) as Sink;
      let raced = false;
      racing.write = async (ops) => {
        if (!raced && ops.some((op) => op.kind === 'upsert' && op.id === victim)) {
          raced = true;
          await pg.query(`DELETE FROM ${table} WHERE id = $1`, [victim]);
          await pollUntil('the stream to delete the document', async () => !(await stored()), {
            timeoutMs: 60_000,
          });
          // A refresh prunes the deletes past gc_deletes.
          if (sinkName === 'elasticsearch') {
            await es.indices.refresh({ index: route.target });
            await new Promise((resolve) => setTimeout(resolve, 100));
            await es.indices.refresh({ index: route.target });
          }
        }
        return sink.write(ops);
      };
      const client = await postgres();
      try {
        await sink.connect();
        const result = await resyncTable(client, racing, reader, route, { pageSize: 5 });
        assert.ok(raced, 'the race happened');
        assert.deepEqual(result.failures, []);
      } finally {
        await client.end();
        await sink.close();
      }
      if (sinkName === 'elasticsearch') await es.indices.refresh({ index: route.target });
      assert.equal(await stored(), false, `document ${victim} came back after its row was deleted`);
      await fixture.converge({ sinks: [sinkName] });
    });
  }
});
