// One table to several targets (TABLES "targets"), end to end against the real stack: customers
// into two Elasticsearch indices with different column sets and renames plus a renamed MongoDB
// collection, hard_types with a renamed TOASTed column, under inserts, updates and deletes while
// the service runs. verify (the real CLI) compares every target on its own and catches drift in
// one of them; resync rewrites every target. A rename that the table's columns contradict stops
// the start (catalog) or, with Postgres unreachable, the pipeline (stream), naming TABLES.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import type { TableReport } from '../../../src/verify/verify.js';
import { runCli } from '../support/cli.js';
import type { Stores } from '../support/converge.js';
import { pollUntil } from '../support/poll.js';
import { runTableNames } from '../support/run-tables.js';
import { instanceEnv, TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

describe('one table to several targets (TABLES targets)', { timeout: 300_000 }, () => {
  const run = uniqueRunId('targets');
  const tables = runTableNames(run);
  const { customers, hard_types: hardTypes } = tables.names;
  const table = `inventory.${customers}`;
  const hardTable = `inventory.${hardTypes}`;
  const slim = `${run}-customers-slim`;
  const full = `${run}-customers-full`;
  const hardIndex = `${run}-hard`;
  const routes = {
    [table]: {
      targets: [
        {
          sink: 'elasticsearch',
          index: slim,
          includeColumns: ['id', 'first_name', 'created_at'],
          rename: { first_name: 'firstName', created_at: 'createdAt' },
        },
        { sink: 'elasticsearch', index: full, excludeColumns: ['email'] },
        { sink: 'mongodb', collection: 'people', rename: { last_name: 'surname' } },
      ],
    },
    [hardTable]: {
      targets: [
        { sink: 'elasticsearch', index: hardIndex, rename: { big_text: 'bigText', real_num: 'realNum' } },
        { sink: 'mongodb', collection: 'hard', rename: { big_text: 'bigText' } },
      ],
    },
  };
  const fixture = new TestRun(run, { env: { TABLES: JSON.stringify(routes) } });
  const { env, service } = fixture;
  const cli = (...args: string[]) => runCli(env, args);
  let stores: Stores;
  let mongo: MongoClient;

  before(async () => {
    ({ stores, mongo } = await fixture.open());
    await service.start();
  });

  after(() => fixture.close());

  test('the snapshot converges in every target', async () => {
    const reports = await fixture.converge({ tables: [customers, hardTypes] });
    assert.deepEqual(
      reports.map((report) => `${report.sink} ${report.table} -> ${report.target}`).sort(),
      [
        `elasticsearch ${table} -> ${slim}`,
        `elasticsearch ${table} -> ${full}`,
        `mongodb ${table} -> people`,
        `elasticsearch ${hardTable} -> ${hardIndex}`,
        `mongodb ${hardTable} -> hard`,
      ].sort(),
    );
    assert.ok(reports.every((report) => report.sourceRows > 0 && report.sinkDocuments === report.sourceRows));
  });

  test('inserts, updates and deletes while the service runs reach every target in its own shape', async () => {
    const { pg, es } = stores;
    const { rows } = await pg.query<{ id: number }>(
      `INSERT INTO ${table} (first_name, last_name, email)
       SELECT 'Multi' || g, 'Target', '${run}-' || g || '@example.com' FROM generate_series(1, 20) g RETURNING id`,
    );
    const ids = rows.map((row) => row.id);
    await pg.query(`UPDATE ${table} SET first_name = 'Changed', last_name = 'Moved' WHERE id = ANY($1)`, [
      ids.slice(0, 5),
    ]);
    await pg.query(`DELETE FROM ${table} WHERE id = ANY($1)`, [ids.slice(15)]);
    // An update that leaves the TOASTed big_text alone: each target keeps it under its new name.
    const toasted = await pg.query<{ length: number }>(
      `SELECT length(big_text) AS length FROM ${hardTable} WHERE tenant_id = 1 ORDER BY item_id LIMIT 1`,
    );
    assert.ok(toasted.rows[0]!.length > 10_000, 'the seed row carries a TOASTed big_text');
    await pg.query(`UPDATE ${hardTable} SET flag = NOT flag, real_num = 0.5 WHERE tenant_id = 1`);
    // converge runs verify per target: a lost bigText would be a difference.
    await fixture.converge({ tables: [customers, hardTypes] });

    const changed = String(ids[0]);
    await es.indices.refresh({ index: [slim, full] });
    const slimDoc = (await es.get<Record<string, unknown>>({ index: slim, id: changed }))._source!;
    assert.deepEqual(Object.keys(slimDoc).sort(), ['createdAt', 'firstName', 'id']);
    assert.equal(slimDoc.firstName, 'Changed');
    const fullDoc = (await es.get<Record<string, unknown>>({ index: full, id: changed }))._source!;
    assert.deepEqual(Object.keys(fullDoc).sort(), ['created_at', 'first_name', 'id', 'last_name']);
    const person = await mongo
      .db(run)
      .collection('people')
      .findOne({ _id: changed as never });
    assert.ok(person);
    assert.deepEqual(
      Object.keys(person).sort(),
      ['_id', POSITION_FIELD, 'created_at', 'email', 'first_name', 'id', 'surname'].sort(),
    );
    assert.equal(person.surname, 'Moved');
    for (const index of [slim, full])
      assert.equal(await es.exists({ index, id: String(ids[19]) }), false, `deleted from ${index}`);

    // Date and float columns are mapped under their renamed field names, in the index that renames them.
    const slimMapping = Object.values(await es.indices.getMapping({ index: slim }))[0]!.mappings.properties!;
    assert.equal(slimMapping.createdAt?.type, 'date');
    assert.equal(slimMapping.created_at, undefined);
    const hardMapping = Object.values(await es.indices.getMapping({ index: hardIndex }))[0]!.mappings
      .properties!;
    assert.equal(hardMapping.realNum?.type, 'double');
    const hard = await mongo.db(run).collection('hard').findOne({ tenant_id: 1 });
    assert.equal((hard?.bigText as string).length, toasted.rows[0]!.length);
    assert.equal(Object.hasOwn(hard!, 'big_text'), false);
  });

  test('verify compares every target, and fails naming the one target that drifted', async () => {
    const equal = await cli('verify', '--table', table, '--json');
    assert.equal(equal.code, 0, `${equal.stdout}\n${equal.stderr}`);
    const reports = JSON.parse(equal.stdout) as TableReport[];
    assert.deepEqual(reports.map((report) => report.target).sort(), [full, 'people', slim].sort());

    // Drift in the slim index only: the other targets stay equal.
    const { es } = stores;
    const { rows } = await stores.pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id LIMIT 1`);
    const victim = String(rows[0]!.id);
    await es.update({ index: slim, id: victim, doc: { firstName: 'tampered' } });
    await es.indices.refresh({ index: slim });
    const drift = await cli('verify', '--table', table, '--json');
    assert.equal(drift.code, 1, drift.stderr);
    const byTarget = new Map((JSON.parse(drift.stdout) as TableReport[]).map((r) => [r.target, r]));
    assert.equal(byTarget.get(full)?.ok, true);
    assert.equal(byTarget.get('people')?.ok, true);
    const slimReport = byTarget.get(slim)!;
    assert.equal(slimReport.ok, false);
    assert.deepEqual(slimReport.different.examples[0], {
      id: victim,
      fields: slimReport.different.examples[0]!.fields,
    });
    assert.deepEqual(
      slimReport.different.examples[0]!.fields.map(({ field }) => field),
      ['firstName'],
    );
    const text = await cli('verify', '--table', table);
    assert.match(text.stdout, new RegExp(`${table} in elasticsearch \\(${slim}\\):`));
  });

  test('resync rewrites every target of the table; verify is then equal', async () => {
    // Drift in MongoDB as well: a document of the collection lost.
    const { rows } = await stores.pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id LIMIT 1`);
    const lost = String(rows[0]!.id);
    assert.equal(
      (
        await mongo
          .db(run)
          .collection('people')
          .deleteOne({ _id: lost as never })
      ).deletedCount,
      1,
    );
    const resync = await cli('resync', '--table', table);
    assert.equal(resync.code, 0, `${resync.stdout}\n${resync.stderr}`);
    for (const target of [`elasticsearch:${slim}`, `elasticsearch:${full}`, 'mongodb:people'])
      assert.match(resync.stdout, new RegExp(`${table} -> ${target} at position \\d+: \\d+ rows`));
    await stores.es.indices.refresh({ index: [slim, full] });
    const verify = await cli('verify', '--table', table);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /all 3 table\/sink pairs agree/);
  });

  test('reindex needs --index for a table with several indices, and rebuilds the one named with its renamed mapping', async () => {
    const unnamed = await cli('reindex', '--table', table);
    assert.equal(unnamed.code, 1, unnamed.stdout);
    assert.match(
      unnamed.stderr,
      new RegExp(
        `${table} is written to several Elasticsearch indices \\(${slim}, ${full}\\): choose one with --index`,
      ),
    );
    const unknown = await cli('reindex', '--table', table, '--index', `${run}-nowhere`);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--index .*-nowhere: .* is not written there/);

    const reindex = await cli(
      'reindex',
      '--table',
      table,
      '--sink',
      'elasticsearch',
      '--index',
      slim,
      '--grace',
      '0',
    );
    assert.equal(reindex.code, 0, `${reindex.stdout}\n${reindex.stderr}`);
    const { es } = stores;
    const fronted = Object.keys(await es.indices.getAlias({ name: slim }));
    assert.deepEqual(fronted, [`${slim}-v2`]);
    assert.deepEqual(
      Object.keys(await es.indices.getAlias({ name: full })),
      [`${full}-v1`],
      'the other index is untouched',
    );
    const mapping = Object.values(await es.indices.getMapping({ index: `${slim}-v2` }))[0]!.mappings
      .properties!;
    assert.equal(mapping.createdAt?.type, 'date');
    assert.equal(mapping.created_at, undefined);
    await es.indices.refresh({ index: slim });
    const verify = await cli('verify', '--table', table);
    assert.equal(verify.code, 0, verify.stdout);
  });

  test('a rename onto a column the target keeps ends the start, naming TABLES, the table and both columns', async () => {
    const clash = { [table]: { targets: [{ sink: 'mongodb', rename: { first_name: 'email' } }] } };
    const started = await runCli(
      {
        ...instanceEnv(`${run}-start`),
        HTTP_PORT: '0',
        KAFKA_TOPICS: fixture.topics.join(','),
        TABLES: JSON.stringify(clash),
      },
      ['start'],
    );
    assert.equal(started.code, 1, started.stdout);
    assert.match(
      started.stderr,
      new RegExp(
        `TABLES: table "${table}": mongodb target "${table}" renames column "first_name" to "email", which is also a column of the table`,
      ),
    );
  });

  test('with Postgres unreachable at start, the pipeline stops on the first events instead: not ready, naming TABLES', async () => {
    const id = `${run}-stream`;
    const clash = { [table]: { targets: [{ sink: 'elasticsearch', rename: { first_name: 'email' } }] } };
    const instance = fixture.instance(id, {
      ...instanceEnv(id),
      KAFKA_TOPICS: fixture.topics.join(','),
      // One sink is enough: each pipeline checks on its own.
      SINKS: 'elasticsearch',
      TABLES: JSON.stringify(clash),
      POSTGRES_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
    });
    await instance.start();
    const reason = new RegExp(`TABLES: table "${table}": elasticsearch target "${id}-${table}" renames`);
    await pollUntil(
      'the pipeline to stop on the rename',
      async () => {
        const readiness = await instance.readiness();
        return readiness.checks.some(
          (check) => check.name === 'elasticsearch' && !check.ready && reason.test(check.reason ?? ''),
        );
      },
      { timeoutMs: 90_000 },
    );
    const halts = instance.lines.filter((line) => line.msg === 'pipeline halted: fix TABLES, then restart');
    assert.equal(halts.length, 1, 'logged once');
    assert.equal(await stores.es.indices.exists({ index: `${id}-${table}` }), false, 'nothing written');
  });
});
