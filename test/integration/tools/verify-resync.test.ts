// The operator's repair loop through the real CLI: verify finds drift a sink acquired behind the
// service's back (a document lost, one altered, one that has no row) and exits 1 naming it;
// resync, run while the service keeps running, rebuilds the table; verify then exits 0.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stores } from '../support/converge.js';
import { runCli } from '../support/cli.js';
import { TestRun } from '../support/run.js';
import { postgres } from '../support/stack.js';
import { settledPosition } from '../../../src/resync/position.js';
import { parseLsn } from '../../../src/postgres/lsn.js';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import { pollUntil } from '../support/poll.js';
import type { TableReport } from '../../../src/verify/verify.js';
import { uniqueRunId } from '../support/stack.js';

const EXTRA_ID = '987654321';

describe('verify finds drift and resync repairs it', { timeout: 300_000 }, () => {
  const fixture = new TestRun(uniqueRunId('repair'));
  const { env, tables, service } = fixture;
  const table = `inventory.${tables.names.customers}`;
  const index = `${env.ELASTICSEARCH_INDEX_PREFIX}${table}`;
  let stores: Stores;
  let lost: string;
  let altered: string;

  const cli = (...args: string[]) => runCli(env, args);

  before(async () => {
    ({ stores } = await fixture.open());
    await service.start();
    await fixture.converge();
    const ids = await stores.pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id LIMIT 2`);
    [lost, altered] = ids.rows.map((row) => String(row.id)) as [string, string];

    // Drift in Elasticsearch: one document deleted, one altered, one without a row.
    const es = stores.es;
    await es.delete({ index, id: lost });
    await es.update({ index, id: altered, doc: { first_name: 'tampered' } });
    await es.index({ index, id: EXTRA_ID, document: { id: Number(EXTRA_ID), first_name: 'ghost' } });
    await es.indices.refresh({ index });

    // The same in MongoDB.
    const collection = stores.mongo
      .db(env.MONGODB_DATABASE)
      .collection<{ _id: string | number; [field: string]: unknown }>(table);
    const stored = await collection.findOne({});
    assert.ok(stored, `${table} has documents in MongoDB`);
    // _id keeps the key's type; the ids above are numbers in Postgres.
    const mongoId = (id: string) => (typeof stored._id === 'number' ? Number(id) : id);
    assert.equal((await collection.deleteOne({ _id: mongoId(lost) })).deletedCount, 1);
    assert.equal(
      (await collection.updateOne({ _id: mongoId(altered) }, { $set: { first_name: 'tampered' } }))
        .modifiedCount,
      1,
    );
    // Written by someone else, so without the sink's position field.
    await collection.insertOne({ _id: mongoId(EXTRA_ID), id: Number(EXTRA_ID), first_name: 'ghost' });
  });

  after(() => fixture.close());

  test('verify exits 1 and names the lost, altered and extra documents in each sink', async () => {
    const json = await cli('verify', '--table', table, '--json');
    assert.equal(json.code, 1, json.stderr);
    const reports = JSON.parse(json.stdout) as TableReport[];
    assert.deepEqual(reports.map((report) => report.sink).sort(), ['elasticsearch', 'mongodb']);
    for (const report of reports) {
      assert.equal(report.ok, false, report.sink);
      assert.deepEqual(report.missing, { count: 1, ids: [lost] }, report.sink);
      assert.deepEqual(report.extra, { count: 1, ids: [EXTRA_ID] }, report.sink);
      assert.equal(report.different.count, 1, report.sink);
      assert.equal(report.different.examples[0]?.id, altered, report.sink);
      assert.deepEqual(
        report.different.examples[0]?.fields.map(({ field }) => field),
        ['first_name'],
        report.sink,
      );
    }

    const text = await cli('verify', '--table', table);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /DRIFT/);
    assert.match(text.stdout, new RegExp(`missing 1, e\\.g\\. ${lost}\\b`));
    assert.match(text.stdout, /first_name: postgres "[^"]+" \/ elasticsearch "tampered"/);
    assert.match(text.stdout, /2 of 2 table\/sink pairs drifted/);
  });

  test('resync, while the service runs, rebuilds the table; verify then exits 0', async () => {
    const resync = await cli('resync', '--table', table);
    assert.equal(resync.code, 0, `${resync.stdout}\n${resync.stderr}`);
    await stores.es.indices.refresh({ index });
    const verify = await cli('verify', '--table', table);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /all 2 table\/sink pairs agree/);
    const ghost = await stores.es.exists({ index, id: EXTRA_ID });
    assert.equal(ghost, false, 'the document without a row is deleted');
  });

  test('the position waits for transactions open when it was read, and lies below later changes', async () => {
    const writer = await postgres();
    const reader = await postgres();
    try {
      await writer.query('BEGIN');
      await writer.query(`UPDATE ${table} SET first_name = 'late' WHERE id = $1`, [Number(altered)]);
      let settled = false;
      const position = settledPosition(reader).then((value) => {
        settled = true;
        return value;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(settled, false, 'resync must not snapshot before the open transaction ends');
      await writer.query('COMMIT');
      const lsn = await position;
      const { rows } = await writer.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      assert.ok(lsn < parseLsn(rows[0]!.lsn), 'below every change logged from now on');
    } finally {
      await Promise.allSettled([writer.end(), reader.end()]);
    }
  });

  test('a MongoDB document the application wrote (no position) is taken over by the stream', async () => {
    const { rows } = await stores.pg.query<{ id: number }>(
      `SELECT id FROM ${table} ORDER BY id OFFSET 2 LIMIT 1`,
    );
    const id = rows[0]!.id;
    const collection = stores.mongo
      .db(env.MONGODB_DATABASE)
      .collection<{ _id: string | number; [field: string]: unknown }>(table);
    const stored = await collection.findOne({});
    const mongoId = typeof stored?._id === 'number' ? id : String(id);
    await collection.replaceOne({ _id: mongoId }, { id, first_name: 'written by the app' });
    await stores.pg.query(`UPDATE ${table} SET first_name = 'streamed' WHERE id = $1`, [id]);
    await pollUntil(
      'the stream to overwrite the document without a position',
      async () => (await collection.findOne({ _id: mongoId }))?.['first_name'] === 'streamed',
      { timeoutMs: 60_000 },
    );
    const taken = await collection.findOne({ _id: mongoId });
    assert.equal(typeof taken?.[POSITION_FIELD], 'bigint', 'the stream stored its position');
  });
});
