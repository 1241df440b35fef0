// SIGTERM while a batch is being written: the batch finishes and its offsets are committed before
// the process exits 0. kafkajs drops a commit asked for after its run loop stopped, so the batch
// used to be written and then replayed by the next start; the committed offset is what tells.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DelayProxy } from '../support/delay-proxy.js';
import { committedOffsets, describeOffsets, endOffsets, waitForCommitted } from '../support/kafka-tools.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { stack, uniqueRunId } from '../support/stack.js';

const BULK_HOLD_MS = 4000;

// With KAFKA_FETCH_AHEAD the batch in flight is no longer the handler kafkajs waits for on
// shutdown: the consumer must wait for it itself.
for (const fetchAhead of ['false', 'true']) {
  describe(`SIGTERM with a batch in flight (KAFKA_FETCH_AHEAD=${fetchAhead})`, () => {
    const proxy = new DelayProxy(new URL(stack.elasticsearchUrl));
    const fixture = new TestRun(uniqueRunId('shutdown'), {
      // Fetches that return well before the held write ends: a shutdown waiting on one cannot
      // hide a batch left unfinished.
      env: { SINKS: 'elasticsearch', KAFKA_FETCH_AHEAD: fetchAhead, KAFKA_MAX_WAIT_MS: '500' },
    });
    const { run, env, service } = fixture;

    before(async () => {
      env.ELASTICSEARCH_URL = await proxy.listen();
      await fixture.open();
      await service.start();
    });

    after(async () => {
      await fixture.close();
      await proxy.close();
    });

    test('the batch in hand is written, committed, and the process exits 0', async () => {
      await fixture.converge({ sinks: ['elasticsearch'] });
      await waitForCommitted(
        fixture.admin,
        [`${run}.elasticsearch`],
        await endOffsets(fixture.admin, fixture.topics),
      );
      const { customers } = fixture.tables.names;
      const topic = fixture.tables.topics[0]!;

      // One row: one key, one partition, one batch, certainly fetched before the signal.
      proxy.hold({ pattern: /_bulk/, ms: BULK_HOLD_MS });
      await fixture.stores.pg.query(
        `INSERT INTO inventory.${customers} (first_name, last_name, email)
       VALUES ('Term', 'Batch', '${run}-term@example.com')`,
      );
      await pollUntil('a bulk request to be in flight', async () => proxy.held.length > 0, {
        timeoutMs: 60_000,
      });
      const ends = await endOffsets(fixture.admin, [topic]);

      assert.equal(await service.kill('SIGTERM'), 0);
      const index = `${run}-inventory.${customers}`;
      await fixture.stores.es.indices.refresh({ index });
      const written = await fixture.stores.es.count({ index, q: 'first_name:Term' });
      assert.equal(written.count, 1, 'the batch in flight at SIGTERM was written');
      const committed = await committedOffsets(fixture.admin, `${run}.elasticsearch`, [topic]);
      for (const [partition, end] of ends.get(topic)!) {
        if (end === 0n) continue; // an empty partition has nothing to commit
        assert.ok(
          (committed.get(topic)?.get(partition) ?? -1n) >= end,
          `written but not committed: ${describeOffsets(committed)} < ${describeOffsets(ends)}`,
        );
      }
    });
  });
}
