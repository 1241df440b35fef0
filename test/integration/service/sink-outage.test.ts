// A sink outage, end to end: Elasticsearch is stopped while rows change in Postgres. MongoDB keeps
// converging meanwhile (its own consumer group), the service reports not-ready naming Elasticsearch
// and retries; once Elasticsearch is back, both sinks converge and nothing is lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stores } from '../support/converge.js';
import { sampleSum, sampleValue } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';
import { componentHealthy, startComponent, stopComponent } from '../support/stack-control.js';

describe('an Elasticsearch outage', { timeout: 300_000 }, () => {
  const fixture = new TestRun(uniqueRunId('outage'), {
    // Backoff capped low, so the first attempt after the restart comes within seconds.
    env: { RETRY_MAX_TIMEOUT_MS: '2000' },
  });
  const { run, tables, service } = fixture;
  const { customers, orders, hard_types: hardTypes } = tables.names;
  const converge = (sinks?: Array<'elasticsearch' | 'mongodb'>) => fixture.converge(sinks ? { sinks } : {});
  let stores: Stores;
  let beforeOutage = '';
  // Set while this test has Elasticsearch stopped: only then does the after hook start it again.
  let stoppedHere = false;
  const changed = { inserted: [] as number[], deleted: [] as number[], updated: [] as number[] };

  const metrics = async () => (await service.get('/metrics')).body;
  const esRetries = (text: string) => sampleSum(text, 'cdc_fanout_retries_total', { sink: 'elasticsearch' });

  before(async () => {
    ({ stores } = await fixture.open());
    await service.start();
  });

  after(async () => {
    // Whatever happened, Elasticsearch is left running and healthy for everyone else (but a stack
    // someone else took down is theirs to bring up).
    if (stoppedHere) await startComponent('elasticsearch');
    await fixture.close();
  });

  test('both sinks converge before the outage', async () => {
    await converge();
    await service.waitUntilReady();
    beforeOutage = await metrics();
  });

  test('with Elasticsearch stopped, MongoDB converges, /readyz names Elasticsearch, retries grow', async () => {
    stoppedHere = true;
    await stopComponent('elasticsearch');
    assert.equal(await componentHealthy('elasticsearch'), false);
    const { pg } = stores;
    const { rows } = await pg.query<{ id: number }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'Outage' || g, 'During', '${run}-' || g || '@example.com' FROM generate_series(1, 12) g RETURNING id`,
    );
    changed.inserted = rows.map((row) => row.id);
    changed.updated = changed.inserted.slice(0, 6);
    changed.deleted = changed.inserted.slice(9);
    await pg.query(
      `UPDATE inventory.${customers} SET last_name = 'Updated during outage' WHERE id = ANY($1)`,
      [changed.updated],
    );
    await pg.query(`DELETE FROM inventory.${customers} WHERE id = ANY($1)`, [changed.deleted]);
    await pg.query(
      `INSERT INTO inventory.${orders} (order_date, purchaser, quantity, product, amount) VALUES ('2026-11-23', $1, 1, 'outage lamp', 42.42)`,
      [changed.inserted[0]],
    );
    await pg.query(`UPDATE inventory.${hardTypes} SET flag = NOT flag WHERE tenant_id = 2`);

    await converge(['mongodb']);

    const readiness = await pollUntil('/readyz to name Elasticsearch as not ready', async () => {
      const current = await service.readiness();
      const check = current.checks.find((entry) => entry.name === 'elasticsearch');
      return check && !check.ready ? current : null;
    });
    assert.equal(readiness.status, 503);
    const esCheck = readiness.checks.find((entry) => entry.name === 'elasticsearch')!;
    assert.match(esCheck.reason ?? '', /elasticsearch|retrying/i);
    const mongoCheck = readiness.checks.find((entry) => entry.name === 'mongodb');
    assert.equal(mongoCheck?.ready, true, 'MongoDB stays ready: its pipeline is not held back');

    const first = await pollUntil('Elasticsearch retries to be counted', async () => {
      const value = esRetries(await metrics());
      return value > esRetries(beforeOutage) ? value : null;
    });
    await pollUntil(
      'Elasticsearch retries to keep growing while it is down',
      async () => esRetries(await metrics()) > first,
      { timeoutMs: 30_000 },
    );
    // Reachability is probed every few seconds, apart from the writes: wait for a probe after the stop.
    const during = await pollUntil('cdc_fanout_sink_up{sink="elasticsearch"} to fall to 0', async () => {
      const text = await metrics();
      return sampleValue(text, 'cdc_fanout_sink_up', { sink: 'elasticsearch' }) === 0 ? text : null;
    });
    assert.equal(sampleValue(during, 'cdc_fanout_sink_up', { sink: 'mongodb' }), 1);
    assert.equal(sampleValue(during, 'cdc_fanout_pipeline_ready', { sink: 'elasticsearch' }), 0);
  });

  test('once Elasticsearch is back, both sinks converge and nothing was lost', async () => {
    await startComponent('elasticsearch');
    stoppedHere = false;
    await converge();
    await service.waitUntilReady();

    const index = `${run}-inventory.${customers}`;
    const kept = changed.inserted.filter((id) => !changed.deleted.includes(id));
    const found = await stores.es.mget<{ last_name: string }>({ index, ids: changed.inserted.map(String) });
    for (const doc of found.docs) {
      const id = Number(doc._id);
      const present = 'found' in doc && doc.found;
      assert.equal(present, kept.includes(id), `customer ${id} in Elasticsearch`);
      if (present && changed.updated.includes(id))
        assert.equal(doc._source?.last_name, 'Updated during outage');
    }

    // An outage is transient: retried, never dead-lettered.
    const now = await metrics();
    for (const sink of ['elasticsearch', 'mongodb']) {
      assert.equal(
        sampleSum(now, 'cdc_fanout_dead_letters_total', { sink }) -
          sampleSum(beforeOutage, 'cdc_fanout_dead_letters_total', { sink }),
        0,
        `${sink}: nothing dead-lettered during the outage`,
      );
    }
    await pollUntil(
      'cdc_fanout_sink_up{sink="elasticsearch"} back to 1',
      async () => sampleValue(await metrics(), 'cdc_fanout_sink_up', { sink: 'elasticsearch' }) === 1,
    );
  });
});
