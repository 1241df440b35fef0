// Secrets in the connection strings never reach a log line, stderr or /metrics: the real service
// runs at debug level with distinctive passwords in POSTGRES_URL (a real role), ELASTICSEARCH_URL
// (basic auth; this Elasticsearch has security off and ignores it), MONGODB_URL and
// ELASTICSEARCH_API_KEY, through traffic, a poison message, sinks unreachable at start and
// failing authentication, and the verify tool refused by Postgres. Every output is searched for
// each password in plain, URL-encoded and base64 (Basic header) form.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { DEAD_LETTER_HEADERS } from '../../../src/pipeline/dead-letter.js';
import type { Stores } from '../support/converge.js';
import { readWholeTopic } from '../support/kafka-tools.js';
import { pollUntil } from '../support/poll.js';
import { runTableNames } from '../support/run-tables.js';
import { TestRun, instanceEnv } from '../support/run.js';
import { stack, tableTopic, uniqueRunId } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SINKS = ['elasticsearch', 'mongodb'] as const;

/** A password no log line could contain by chance, with characters URLs must encode. */
function distinctive(label: string): string {
  return `${label}:S3cr3t/${randomBytes(6).toString('hex')}@Zq!`;
}

/** Every form in which a password could leak: as is, URL-encoded, base64 alone and in Basic auth. */
function leakForms(user: string, password: string): string[] {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    password,
    encodeURIComponent(password),
    encodeURI(password),
    JSON.stringify(password).slice(1, -1),
    base64(password),
    base64(`${user}:${password}`),
  ];
}

function assertNoLeak(where: string, text: string, secrets: ReadonlyArray<readonly [string, string]>): void {
  for (const [user, password] of secrets) {
    for (const form of leakForms(user, password)) {
      const at = text.indexOf(form);
      assert.equal(
        at,
        -1,
        `${where} contains a secret (${form}): ...${text.slice(Math.max(0, at - 200), at + form.length + 50)}...`,
      );
    }
  }
}

describe('secrets never reach logs, stderr or /metrics', { timeout: 240_000 }, () => {
  const run = uniqueRunId('secrets');
  const tables = runTableNames(run);
  const customers = tables.names.customers;
  const role = run.replace(/[^a-z0-9]+/g, '_');
  const pgPassword = distinctive('Pg');
  const esUser = 'cdc-es-user';
  const esPassword = distinctive('Es');
  const mongoUser = 'cdc-mongo-user';
  const mongoPassword = distinctive('Mg');
  const apiKey = `ApiK3y-${randomBytes(8).toString('hex')}`;
  const secrets: Array<readonly [string, string]> = [
    [role, pgPassword],
    [esUser, esPassword],
    [mongoUser, mongoPassword],
    ['', apiKey],
  ];
  const enc = encodeURIComponent;
  // The stack's own hosts and ports (the test stack may run on other ports than the defaults).
  const hostOf = (url: string) => new URL(url).host;
  const postgresUrl = `postgres://${role}:${enc(pgPassword)}@${hostOf(stack.postgresUrl)}/inventory`;
  const mongoWithCredentials = `mongodb://${mongoUser}:${enc(mongoPassword)}@${hostOf(stack.mongodbUrl)}/?authSource=admin`;
  const base = {
    POSTGRES_URL: postgresUrl,
    ELASTICSEARCH_API_KEY: '',
    KAFKA_TOPICS: tables.topics.join(','),
  };
  // The working instance: traffic and a poison message through credentials Elasticsearch ignores.
  // MongoDB gets them too when FerretDB accepts them (checked in before()).
  const fixture = new TestRun(run, {
    env: {
      ...base,
      ELASTICSEARCH_URL: `http://${esUser}:${enc(esPassword)}@${hostOf(stack.elasticsearchUrl)}`,
    },
    producer: true,
  });
  const { env, service } = fixture;
  // The failing instance: Elasticsearch unreachable at start (with credentials and an API key),
  // MongoDB with credentials FerretDB refuses, or accepts, either way logged about.
  const failingRun = `${run}-fail`;
  const failing = fixture.instance(failingRun, {
    ...base,
    ...instanceEnv(failingRun),
    ELASTICSEARCH_URL: `http://${esUser}:${enc(esPassword)}@127.0.0.1:1`,
    ELASTICSEARCH_API_KEY: apiKey,
    MONGODB_URL: `${mongoWithCredentials}&authMechanism=SCRAM-SHA-256`,
    RETRY_MAX_TIMEOUT_MS: '1000',
  });
  let stores: Stores;
  let admin: Admin;
  let producer: Producer;
  let mongoTakesCredentials = false;

  before(async () => {
    ({ stores, admin, producer } = await fixture.open());
    await stores.pg.query(`CREATE ROLE ${role} LOGIN PASSWORD '${pgPassword}'`);
    const probe = new MongoClient(mongoWithCredentials, { serverSelectionTimeoutMS: 5000 });
    try {
      await probe.connect();
      await probe.db(run).command({ ping: 1 });
      mongoTakesCredentials = true;
    } catch (error) {
      console.log(`# FerretDB refuses credentials: ${String((error as Error).message).slice(0, 200)}`);
    } finally {
      await probe.close().catch(() => undefined);
    }
    console.log(`# MONGODB_URL of the working instance carries credentials: ${mongoTakesCredentials}`);
    if (mongoTakesCredentials) env.MONGODB_URL = mongoWithCredentials;
  });

  after(() =>
    fixture.close(async ({ pg }) => {
      await pg.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }),
  );

  test('traffic and a poison message through credentialed connections leak nothing', async () => {
    await service.start();
    await fixture.converge();
    await stores.pg.query(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'Secret' || g, 'Traffic', '${run}-' || g || '@example.com' FROM generate_series(1, 20) g`,
    );
    await stores.pg.query(
      `UPDATE inventory.${customers} SET last_name = 'Updated' WHERE first_name LIKE 'Secret%'`,
    );
    const topic = tableTopic(customers);
    await producer.send({ topic, acks: -1, messages: [{ key: '{"id":1}', value: '{"payload":{"op":"x"' }] });
    await fixture.converge();
    await fixture.caughtUp();
    const letters = await readWholeTopic(admin, env.DEAD_LETTER_TOPIC!);
    assert.equal(
      letters.filter((letter) => letter.headers[DEAD_LETTER_HEADERS.errorClass] === 'DecodeError').length,
      SINKS.length,
      'the poison was dead-lettered by each sink',
    );
    assert.ok(
      service.lines.some((line) => line.level === 20),
      'debug lines were logged',
    );

    const metrics = await service.get('/metrics');
    assert.equal(metrics.status, 200);
    assertNoLeak('/metrics', metrics.body, secrets);
    assertNoLeak('/readyz', (await service.get('/readyz')).body, secrets);
    assert.equal(await service.kill('SIGTERM'), 0);
    assertNoLeak('service output', service.rawOutput.join('\n'), secrets);
  });

  test('sinks unreachable or refusing the credentials: their errors leak nothing', async () => {
    await failing.start();
    await failing.waitForLog(
      (line) => line.sink === 'elasticsearch' && line.msg === 'sink not reachable yet',
      60_000,
    );
    // MongoDB either refuses the credentials (logged as not reachable yet) or takes them.
    await pollUntil(
      'the MongoDB pipeline to log its credentials refused, or to start',
      async () =>
        failing.lines.some(
          (line) =>
            line.sink === 'mongodb' &&
            (line.msg === 'sink not reachable yet' || line.msg === 'pipeline started'),
        ),
      { timeoutMs: 60_000 },
    );
    // A few retry rounds, so every error path logged at least once and retried.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const unreachable = failing.lines.filter(
      (line) => line.sink === 'elasticsearch' && line.msg === 'sink not reachable yet',
    );
    assert.ok(unreachable.length >= 2, `retried: ${unreachable.length} lines`);
    const metrics = await failing.get('/metrics');
    assertNoLeak('/metrics', metrics.body, secrets);
    assertNoLeak('/readyz', (await failing.get('/readyz')).body, secrets);
    await failing.kill('SIGTERM');
    assertNoLeak('failing service output', failing.rawOutput.join('\n'), secrets);
  });

  test('the verify tool refused by Postgres (wrong password, then no privilege) leaks nothing', async () => {
    const exec = promisify(execFile);
    for (const url of [postgresUrl.replace(enc(pgPassword), enc(`${pgPassword}-wrong`)), postgresUrl]) {
      const result = await exec(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'verify', '--table', `inventory.${customers}`],
        { cwd: ROOT, env: { ...process.env, ...env, POSTGRES_URL: url }, timeout: 60_000 },
      ).then(
        ({ stdout, stderr }) => ({ code: 0, output: `${stdout}\n${stderr}` }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? -1,
          output: `${error.stdout ?? ''}\n${error.stderr ?? ''}`,
        }),
      );
      assert.notEqual(result.code, 0, `verify must fail: ${result.output}`);
      assert.match(result.output, /password authentication failed|permission denied/);
      // The wrong password is a secret too: it differs from the real one only by its suffix.
      assertNoLeak('verify output', result.output, [...secrets, [role, `${pgPassword}-wrong`]]);
    }
  });
});
