// Zero-downtime reindex through the real CLI while the service runs: a workload of inserts,
// updates and deletes keeps going during the whole reindex (so rows are deleted during the
// backfill), and a reader samples the alias every 100 ms. The reindex must end with the alias on
// the new index and verify equal, and the reader must never get an error (a 404) nor a count far
// below Postgres' (an empty or half-built index). Then a reindex killed mid-backfill (SIGKILL),
// of a plain index made before indices were alias-fronted, is run again and finishes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { runCli, spawnCli } from '../support/cli.js';
import type { Stores } from '../support/converge.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import { whileWorkloadRuns, worstSample } from '../support/reindex-workload.js';
import { uniqueRunId } from '../support/stack.js';
import { stateIn } from '../../../src/reindex/state.js';

const ROWS = 3000;
/** How far the alias may trail Postgres' row count: the workload's changes in flight, not a table. */
const IN_FLIGHT = 300;

async function seed(pg: pg.Client, table: string, sql: string): Promise<void> {
  await pg.query(`INSERT INTO ${table} ${sql}`);
}

/** The concrete indices an alias fronts ([] when it is no alias). */
async function frontedBy(stores: Stores, alias: string): Promise<string[]> {
  try {
    return Object.keys(await stores.es.indices.getAlias({ name: alias }));
  } catch {
    return [];
  }
}

describe('reindex while the service runs', { timeout: 600_000 }, () => {
  const fixture = new TestRun(uniqueRunId('reindex'), {
    env: { ELASTICSEARCH_REINDEX_DISCOVERY_MS: '1000' },
  });
  const { env, tables, service, run } = fixture;
  const customers = `inventory.${tables.names.customers}`;
  const orders = `inventory.${tables.names.orders}`;
  const customersIndex = `${env.ELASTICSEARCH_INDEX_PREFIX}${customers}`;
  const ordersIndex = `${env.ELASTICSEARCH_INDEX_PREFIX}${orders}`;
  let stores: Stores;

  before(async () => {
    ({ stores } = await fixture.open());
    // An index made before the service created alias-fronted ones: the first reindex migrates it.
    await stores.es.indices.create({ index: ordersIndex });
    await seed(
      stores.pg,
      customers,
      `(first_name, last_name, email) SELECT 'Seed' || g, 'Row', '${run}-' || g || '@example.com' FROM generate_series(1, ${ROWS}) g`,
    );
    await seed(
      stores.pg,
      orders,
      `(order_date, purchaser, quantity, product, amount) SELECT DATE '2020-01-01' + g % 900, 1001, g % 7 + 1, 'item ' || g, g * 1.25 FROM generate_series(1, ${2 * ROWS}) g`,
    );
    await service.start();
    await fixture.converge();
  });

  after(() => fixture.close());

  test('a reindex under a workload switches the alias without a reader ever missing the index', async () => {
    assert.deepEqual(await frontedBy(stores, customersIndex), [`${customersIndex}-v1`]);
    const { result, done, deletesDuring, samples, failures } = await whileWorkloadRuns(
      customers,
      run,
      async () => (await stores.es.count({ index: customersIndex })).count,
      () => runCli(env, ['reindex', '--table', customers, '--sink', 'elasticsearch', '--grace', '0']),
    );
    process.stderr.write(`# reindex output:\n${result.stdout}${result.stderr}\n`);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(deletesDuring > 0, 'rows were deleted while the reindex ran');
    assert.deepEqual(await frontedBy(stores, customersIndex), [`${customersIndex}-v2`]);
    assert.deepEqual(await frontedBy(stores, `${customersIndex}-reindex`), []);
    assert.equal(
      await stores.es.indices.exists({ index: `${customersIndex}-v1` }),
      false,
      'old index deleted',
    );

    assert.deepEqual(failures, [], 'a reader of the alias got an error');
    assert.ok(samples.length >= 20, `the reader sampled (${samples.length} samples)`);
    const worst = worstSample(samples);
    process.stderr.write(
      `# ${samples.length} samples; worst: alias ${worst.stored} documents, Postgres ${worst.pg} rows; workload ${JSON.stringify(done)}\n`,
    );
    assert.ok(
      worst.stored >= worst.pg - IN_FLIGHT,
      `the alias held ${worst.stored} documents while Postgres had ${worst.pg} rows`,
    );

    await fixture.converge({ sinks: ['elasticsearch'], tables: [tables.names.customers] });
    const verify = await runCli(env, ['verify', '--table', customers, '--sink', 'elasticsearch']);
    assert.equal(verify.code, 0, verify.stdout);
  });

  test('a reindex killed mid-backfill finishes when run again, migrating a plain index', async () => {
    assert.deepEqual(await frontedBy(stores, ordersIndex), [], 'orders starts as a plain index');
    const reindex = spawnCli(env, ['reindex', '--table', orders, '--sink', 'elasticsearch', '--grace', '0']);
    const target = `${ordersIndex}-v1`;
    const { rows } = await stores.pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${orders}`);
    const total = Number(rows[0]!.n);
    let saved = 0;
    try {
      // Killed once the backfill saved its cursor (after its first page), well before its end.
      saved = await pollUntil(
        'the backfill to save its cursor',
        async () => {
          if (!(await stores.es.indices.exists({ index: target }))) return false;
          const mappings = await stores.es.indices.getMapping({ index: target });
          const state = stateIn(Object.values(mappings)[0]?.mappings._meta);
          return state?.cursor ? (state.backfilledRows ?? 0) : false;
        },
        { timeoutMs: 60_000, intervalMs: 50, describe: reindex.output },
      );
    } finally {
      await reindex.kill();
    }
    await stores.es.indices.refresh({ index: target });
    const { count: copied } = await stores.es.count({ index: target });
    assert.ok(saved > 0 && copied < total, `killed mid-backfill (${copied} of ${total} copied)`);
    assert.deepEqual(
      await frontedBy(stores, `${ordersIndex}-reindex`),
      [target],
      'the reindex is left running',
    );
    assert.deepEqual(await frontedBy(stores, ordersIndex), [], 'readers still read the plain index');

    const rerun = await runCli(env, [
      'reindex',
      '--table',
      orders,
      '--sink',
      'elasticsearch',
      '--grace',
      '0',
    ]);
    process.stderr.write(`# rerun output:\n${rerun.stdout}${rerun.stderr}\n`);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /resumed/);
    assert.match(rerun.stderr, new RegExp(`the backfill goes on after ${saved} rows`));
    // The rerun copied only the rows after the cursor (nothing was inserted since).
    const again = Number(/; (\d+) rows backfilled/.exec(rerun.stdout)?.[1]);
    assert.equal(again, total - saved);
    assert.deepEqual(await frontedBy(stores, ordersIndex), [target]);
    await fixture.converge({ sinks: ['elasticsearch'], tables: [tables.names.orders] });
    const verify = await runCli(env, ['verify', '--table', orders, '--sink', 'elasticsearch']);
    assert.equal(verify.code, 0, verify.stdout);
  });

  test('a reindex killed during its grace period deletes the old index when run again', async () => {
    const hardTypes = `inventory.${tables.names.hard_types}`;
    const index = `${env.ELASTICSEARCH_INDEX_PREFIX}${hardTypes}`;
    assert.deepEqual(await frontedBy(stores, index), [`${index}-v1`]);
    const reindexWithGrace = (grace: string) => [
      'reindex',
      '--table',
      hardTypes,
      '--sink',
      'elasticsearch',
      '--grace',
      grace,
    ];
    const reindex = spawnCli(env, reindexWithGrace('1h'));
    try {
      await pollUntil('the switch', async () => reindex.output().includes(`keeping ${index}-v1`), {
        timeoutMs: 120_000,
        describe: reindex.output,
      });
    } finally {
      await reindex.kill();
    }
    assert.deepEqual(await frontedBy(stores, index), [`${index}-v2`]);
    assert.equal(await stores.es.indices.exists({ index: `${index}-v1` }), true, 'kept for the grace period');

    const rerun = await runCli(env, reindexWithGrace('0'));
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /resumed/);
    assert.equal(await stores.es.indices.exists({ index: `${index}-v1` }), false, 'deleted by the rerun');
    assert.deepEqual(await frontedBy(stores, index), [`${index}-v2`]);
    await fixture.converge({ sinks: ['elasticsearch'], tables: [tables.names.hard_types] });
  });
});
