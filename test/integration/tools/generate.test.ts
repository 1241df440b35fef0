// `cdc-fanout generate` as a user runs it: a child process against the local stack's Postgres. Its
// report must match what changed in the tables, and SIGINT must stop it with a report. The counts
// are taken over the rows the generator may touch (customers at an .example address, their orders,
// hard_types tenants from TENANT_MIN), so other writers on the shared stack do not disturb them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { GENERATED_EMAIL_LIKE, TENANT_COUNT, TENANT_MIN } from '../../../src/generate/data.js';
import type { GenerateResult, TableName } from '../../../src/generate/generator.js';
import { postgres, stack } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runGenerate(args: string[], options: { interruptAfterProgress?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', ...args], {
      cwd: ROOT,
      env: { ...process.env, POSTGRES_URL: stack.postgresUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.interruptAfterProgress && !interrupted && /^generate \d/m.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ownedCounts(client: pg.Client): Promise<Record<TableName, number>> {
  const { rows } = await client.query<{ customers: string; orders: string; hard_types: string }>(
    `SELECT (SELECT count(*) FROM inventory.customers WHERE email LIKE $1) AS customers,
            (SELECT count(*) FROM inventory.orders o JOIN inventory.customers c ON c.id = o.purchaser
              WHERE c.email LIKE $1) AS orders,
            (SELECT count(*) FROM inventory.hard_types WHERE tenant_id >= $2 AND tenant_id < $3) AS hard_types`,
    [GENERATED_EMAIL_LIKE, TENANT_MIN, TENANT_MIN + TENANT_COUNT],
  );
  const row = rows[0]!;
  return { customers: Number(row.customers), orders: Number(row.orders), hard_types: Number(row.hard_types) };
}

function assertCountsMatch(
  result: GenerateResult,
  before: Record<TableName, number>,
  after: Record<TableName, number>,
): void {
  for (const table of ['customers', 'orders', 'hard_types'] as const) {
    const { inserts, deletes } = result.stats.tables[table];
    assert.equal(
      after[table] - before[table],
      inserts - deletes,
      `${table}: ${before[table]} -> ${after[table]} rows, reported ${inserts} inserts and ${deletes} deletes`,
    );
  }
}

describe('cdc-fanout generate', () => {
  let client: pg.Client;

  before(async () => {
    client = await postgres();
  });

  after(async () => {
    // The rows made here are of no use to the other tests, which compare whole tables.
    await client.query(
      `DELETE FROM inventory.orders o USING inventory.customers c WHERE c.id = o.purchaser AND c.email LIKE $1`,
      [GENERATED_EMAIL_LIKE],
    );
    await client.query('DELETE FROM inventory.customers WHERE email LIKE $1', [GENERATED_EMAIL_LIKE]);
    await client.query('DELETE FROM inventory.hard_types WHERE tenant_id >= $1 AND tenant_id < $2', [
      TENANT_MIN,
      TENANT_MIN + TENANT_COUNT,
    ]);
    await client.end();
  });

  test('reports the inserts, updates and deletes it made, at about the asked rate', async () => {
    const before = await ownedCounts(client);
    const run = await runGenerate(['--rate', '200', '--duration', '3s', '--seed', '42', '--json']);
    assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as GenerateResult;
    const after = await ownedCounts(client);
    assertCountsMatch(result, before, after);
    const stats = result.stats;
    assert.ok(result.events > 0, 'some row changes');
    assert.equal(
      result.events,
      Object.values(stats.tables).reduce((sum, t) => sum + t.inserts + t.updates + t.deletes, 0),
    );
    for (const table of ['customers', 'orders', 'hard_types'] as const)
      assert.ok(stats.tables[table].inserts > 0, `${table} got inserts`);
    // A report, not a timing assertion: the bucket never runs ahead of the rate, and it made progress.
    assert.ok(
      result.achievedRate > 0 && result.achievedRate <= 2 * 200,
      `achieved ${result.achievedRate}/s for a target of 200/s`,
    );
    assert.equal(result.stats.givenUp, 0, JSON.stringify(result.stats.errorsByCode));
    assert.equal(result.seed, 42);
    assert.equal(result.stoppedEarly, false);
  });

  test('SIGINT stops it early, after the transactions in flight, with the report', async () => {
    const before = await ownedCounts(client);
    const run = await runGenerate(
      ['--rate', '100', '--duration', '5m', '--tables', 'customers,orders', '--json'],
      {
        interruptAfterProgress: true,
      },
    );
    assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr}`);
    assert.match(run.stderr, /SIGINT/);
    const result = JSON.parse(run.stdout) as GenerateResult;
    assert.equal(result.stoppedEarly, true);
    assert.ok(result.elapsedMs < 60_000, `stopped after ${result.elapsedMs} ms`);
    assert.ok(result.events > 0);
    assert.deepEqual(result.tables, ['customers', 'orders']);
    assert.equal(result.stats.tables.hard_types.inserts, 0);
    assertCountsMatch(result, before, await ownedCounts(client));
  });

  test('--mix 0:1:0 only updates: the tables keep their size', async () => {
    const before = await ownedCounts(client);
    const run = await runGenerate(['--rate', '100', '--duration', '2s', '--mix', '0:1:0', '--json']);
    assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as GenerateResult;
    const tables = Object.values(result.stats.tables);
    assert.ok(tables.reduce((sum, t) => sum + t.updates, 0) > 0, 'some updates');
    // Inserts happen only where a table had no generated row to update.
    const after = await ownedCounts(client);
    assertCountsMatch(result, before, after);
    assert.equal(
      tables.reduce((sum, t) => sum + t.deletes, 0),
      0,
      'no deletes',
    );
  });

  test('a bad option fails with a message and no change', async () => {
    const run = await runGenerate(['--duration', 'soon']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /"soon" is not a duration/);
    const mix = await runGenerate(['--mix', '1:2']);
    assert.equal(mix.code, 1);
    assert.match(mix.stderr, /--mix 1:2: expected insert:update:delete weights/);
  });
});
