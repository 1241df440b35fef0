// A sink that accepts requests and never answers them, as FerretDB did when it wedged: the
// pipeline used to sit with no retry and /readyz 200. Now a request past its deadline is retried,
// and a partition without progress makes /readyz 503, naming it, until the writes go through.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DelayProxy } from '../support/delay-proxy.js';
import { endOffsets, waitForCommitted } from '../support/kafka-tools.js';
import { sampleSum } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { stack, uniqueRunId } from '../support/stack.js';

describe('a sink that stops answering', () => {
  const proxy = new DelayProxy(new URL(stack.elasticsearchUrl));
  const fixture = new TestRun(uniqueRunId('stall'), {
    env: {
      SINKS: 'elasticsearch',
      PIPELINE_STALL_TIMEOUT_MS: '1000',
      ELASTICSEARCH_REQUEST_TIMEOUT_MS: '4000',
    },
  });
  const { run, env, service } = fixture;
  const insertCustomer = (name: string) =>
    fixture.stores.pg.query(
      `INSERT INTO inventory.${fixture.tables.names.customers} (first_name, last_name, email) VALUES ($1, 'Stall', $2)`,
      [name, `${run}-${name}@example.com`],
    );

  before(async () => {
    env.ELASTICSEARCH_URL = await proxy.listen();
    await fixture.open();
    await service.start();
    await fixture.converge({ sinks: ['elasticsearch'] });
    await waitForCommitted(
      fixture.admin,
      [`${run}.elasticsearch`],
      await endOffsets(fixture.admin, fixture.topics),
    );
  });

  after(async () => {
    await fixture.close();
    await proxy.close();
  });

  test('a write past its deadline is retried, and the pipeline is not ready meanwhile, naming the partition', async () => {
    // Every bulk request is held past ELASTICSEARCH_REQUEST_TIMEOUT_MS: each attempt times out.
    proxy.hold({ pattern: /_bulk/, ms: 10_000 });
    await insertCustomer('Held');
    const notReady = await pollUntil(
      '/readyz to say which partition makes no progress',
      async () => {
        const readiness = await service.readiness();
        const check = readiness.checks.find((entry) => entry.name === 'elasticsearch');
        return readiness.status === 503 && /no progress|retrying writes/.test(check?.reason ?? '')
          ? check
          : null;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(notReady);
    await pollUntil(
      'a timed-out write to be retried',
      async () =>
        sampleSum((await service.get('/metrics')).body, 'cdc_fanout_retries_total', {
          sink: 'elasticsearch',
        }) > 0,
      { timeoutMs: 30_000 },
    );

    proxy.hold(null);
    await service.waitUntilReady(60_000);
    await fixture.converge({ sinks: ['elasticsearch'] });
  });

  test('a stall without retries (a request that stays in flight) is named as no progress', async () => {
    // Held for less than the request deadline but longer than the stall limit: no retry happens.
    proxy.hold({ pattern: /_bulk/, ms: 2000 });
    const baseline = sampleSum((await service.get('/metrics')).body, 'cdc_fanout_retries_total', {
      sink: 'elasticsearch',
    });
    await insertCustomer('Slow');
    const check = await pollUntil(
      '/readyz to report no progress',
      async () => {
        const readiness = await service.readiness();
        const entry = readiness.checks.find((c) => c.name === 'elasticsearch');
        return readiness.status === 503 && entry?.reason?.startsWith('no progress') ? entry : null;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.match(
      check.reason ?? '',
      new RegExp(
        `on cdc\\.inventory\\.${fixture.tables.names.customers}/\\d+: the batch from offset \\d+ is not written yet`,
      ),
    );
    proxy.hold(null);
    await service.waitUntilReady(60_000);
    await fixture.converge({ sinks: ['elasticsearch'] });
    const retries = sampleSum((await service.get('/metrics')).body, 'cdc_fanout_retries_total', {
      sink: 'elasticsearch',
    });
    assert.equal(retries, baseline, 'the slow request was not retried: it answered within its deadline');
  });
});
