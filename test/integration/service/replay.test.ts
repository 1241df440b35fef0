// A full replay, end to end: after convergence the service is stopped, both groups' offsets are
// reset to the earliest, and the service reads every event again. The version guards refuse every
// older event, so every document stays exactly as it was: same content, same Elasticsearch
// _version/_seq_no, same MongoDB stored position, and the stale counters show the refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Admin } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import type { TableReport } from '../../../src/verify/verify.js';
import type { Stores } from '../support/converge.js';
import {
  committedOffsets,
  describeOffsets,
  endOffsets,
  partitionRanges,
  waitForCommitted,
  type TopicOffsets,
} from '../support/kafka-tools.js';
import { sampleList, sampleSum } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import { TestRun } from '../support/run.js';
import type { LogLine } from '../support/service.js';
import { uniqueRunId } from '../support/stack.js';

const SINKS = ['elasticsearch', 'mongodb'] as const;

/** Per target, per document id: the sink's own record of the write that made it. */
type Stamps = Map<string, Map<string, string>>;

describe('replaying every topic from the earliest offset', { timeout: 240_000 }, () => {
  const fixture = new TestRun(uniqueRunId('replay'));
  const { run, tables, groups, service } = fixture;
  const { customers, orders, hard_types: hardTypes } = tables.names;
  const converge = () => fixture.converge();
  let stores: Stores;
  let mongo: MongoClient;
  let admin: Admin;
  let converged: TableReport[] = [];

  /** Elasticsearch: _version (the LSN), _seq_no and _primary_term of every document. */
  async function elasticsearchStamps(): Promise<Stamps> {
    const stamps: Stamps = new Map();
    for (const table of tables.tables) {
      const index = `${run}-inventory.${table}`;
      await stores.es.indices.refresh({ index });
      const response = await stores.es.search({
        index,
        size: 1000,
        _source: false,
        version: true,
        seq_no_primary_term: true,
      });
      stamps.set(
        index,
        new Map(
          response.hits.hits.map((hit) => [
            hit._id!,
            `v${hit._version} s${hit._seq_no} t${hit._primary_term}`,
          ]),
        ),
      );
    }
    return stamps;
  }

  /** MongoDB: the stored position of every document. */
  async function mongoStamps(): Promise<Stamps> {
    const stamps: Stamps = new Map();
    for (const table of tables.tables) {
      const docs = await mongo
        .db(run)
        .collection<{ _id: string }>(`inventory.${table}`)
        .find({}, { projection: { [POSITION_FIELD]: 1 } })
        .toArray();
      stamps.set(
        table,
        new Map(docs.map((doc) => [doc._id, String((doc as Record<string, unknown>)[POSITION_FIELD])])),
      );
    }
    return stamps;
  }

  before(async () => {
    ({ stores, mongo, admin } = await fixture.open());
    await service.start();
  });

  after(() => fixture.close());

  test('a history of inserts, updates and deletes converges', async () => {
    const { pg } = stores;
    const { rows } = await pg.query<{ id: number }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'Replay' || g, 'V0', '${run}-' || g || '@example.com' FROM generate_series(1, 15) g RETURNING id`,
    );
    const ids = rows.map((row) => row.id);
    for (let version = 1; version <= 3; version++) {
      await pg.query(`UPDATE inventory.${customers} SET last_name = $2 WHERE id = ANY($1)`, [
        ids.slice(0, 10),
        `V${version}`,
      ]);
    }
    await pg.query(`DELETE FROM inventory.${customers} WHERE id = ANY($1)`, [ids.slice(12)]);
    // Deleted and inserted again: the replay carries an older delete of a live document.
    await pg.query('BEGIN');
    await pg.query(`DELETE FROM inventory.${customers} WHERE id = $1`, [ids[0]]);
    await pg.query(
      `INSERT INTO inventory.${customers} (id, first_name, last_name, email) VALUES ($1, 'Again', 'V9', $2)`,
      [ids[0], `${run}-again@example.com`],
    );
    await pg.query('COMMIT');
    await pg.query(
      `UPDATE inventory.${orders} SET quantity = quantity + 1 WHERE id IN (SELECT id FROM inventory.${orders} LIMIT 5)`,
    );
    await pg.query(
      `DELETE FROM inventory.${orders} WHERE id IN (SELECT id FROM inventory.${orders} ORDER BY id DESC LIMIT 3)`,
    );
    // An update that leaves the TOASTed big_text alone: its replay must not lose the stored value.
    await pg.query(`UPDATE inventory.${hardTypes} SET flag = NOT flag WHERE tenant_id = 1`);

    converged = await converge();
    await fixture.caughtUp();
  });

  test('reset to the earliest offsets, it reads everything again and every document stays as it was', async () => {
    assert.ok(converged.length > 0, 'the history test ran first');
    const esBefore = await elasticsearchStamps();
    const mongoBefore = await mongoStamps();
    assert.ok([...esBefore.values()].every((docs) => docs.size > 0));

    assert.equal(await service.kill('SIGTERM'), 0);
    const ends = await endOffsets(admin, tables.topics);
    const ranges = await partitionRanges(admin, tables.topics);
    // One reset at a time per group (each joins the group briefly); the two groups side by side.
    await Promise.all(
      groups.map(async (groupId) => {
        for (const topic of tables.topics) await admin.resetOffsets({ groupId, topic, earliest: true });
      }),
    );
    for (const groupId of groups) {
      // Nothing left to skip with: every partition is back at (or before) its start.
      const committed = await committedOffsets(admin, groupId, tables.topics);
      for (const [topic, partitions] of committed) {
        for (const [partition, offset] of partitions) {
          const low = ranges.get(topic)!.get(partition)!.low;
          assert.ok(
            offset <= low,
            `${groupId} ${topic}/${partition} reset to ${offset}, log starts at ${low}`,
          );
        }
      }
    }

    await service.start();
    await waitForCommitted(admin, groups, ends);
    // The lag gauge agrees: every partition the replay read is at its end.
    const lag = await pollUntil('the consumer lag gauge to read 0 everywhere', async () => {
      const text = (await service.get('/metrics')).body;
      const samples = sampleList(text, 'cdc_fanout_consumer_lag');
      return samples.length > 0 && samples.every((sample) => sample.value === 0) ? samples : null;
    });
    assert.ok(lag.length > 0);

    // It read every partition from its first record.
    const firstBatch = new Map<string, LogLine>();
    for (const line of service.lines.filter((entry) => entry.msg === 'batch committed')) {
      const slot = `${String(line.sink)} ${String(line.topic)}/${String(line.partition)}`;
      if (!firstBatch.has(slot)) firstBatch.set(slot, line);
    }
    const expectedStarts: TopicOffsets = new Map();
    for (const [topic, partitions] of ranges) {
      for (const [partition, { low, high }] of partitions) {
        if (high <= low) continue;
        if (!expectedStarts.has(topic)) expectedStarts.set(topic, new Map());
        expectedStarts.get(topic)!.set(partition, low);
        for (const sink of SINKS) {
          const line = firstBatch.get(`${sink} ${topic}/${partition}`);
          assert.ok(line, `${sink} re-read ${topic}/${partition}\n${describeOffsets(expectedStarts)}`);
          assert.equal(
            BigInt(String(line.first)),
            low,
            `${sink} ${topic}/${partition} replayed from its start`,
          );
        }
      }
    }

    const reports = await converge();
    assert.deepEqual(
      reports.map((report) => [report.sink, report.table, report.sourceRows, report.sinkDocuments]),
      converged.map((report) => [report.sink, report.table, report.sourceRows, report.sinkDocuments]),
    );
    assert.deepEqual(await elasticsearchStamps(), esBefore, 'Elasticsearch _version and _seq_no unchanged');
    assert.deepEqual(await mongoStamps(), mongoBefore, 'MongoDB stored positions unchanged');

    const metrics = (await service.get('/metrics')).body;
    for (const sink of SINKS) {
      const live = converged
        .filter((report) => report.sink === sink)
        .reduce((sum, report) => sum + report.sinkDocuments, 0);
      const stale = sampleSum(metrics, 'cdc_fanout_sink_writes_total', { sink, result: 'stale' });
      const written = sampleSum(metrics, 'cdc_fanout_sink_writes_total', { sink, result: 'written' });
      // Each live document's last event comes again, at the position already stored: refused.
      assert.ok(stale >= live, `${sink}: ${stale} stale writes for ${live} live documents`);
      console.log(`# replay: ${sink} stale=${stale} written=${written} live=${live}`);
    }
    assert.equal(
      sampleSum(metrics, 'cdc_fanout_sink_writes_total', { sink: 'elasticsearch', result: 'written' }),
      0,
      'Elasticsearch accepted no replayed event (deletes are remembered for index.gc_deletes)',
    );
  });
});
