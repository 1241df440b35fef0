// A crash in the middle of a stream of changes, end to end: the service is killed with SIGKILL (no
// shutdown, no last commit) while inserts, updates and deletes keep coming, then started again with
// the same settings and groups. It resumes from the committed offsets, never after them, and both
// sinks converge with nothing lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { parse as parseLossless } from 'lossless-json';
import type { MongoClient } from 'mongodb';
import type pg from 'pg';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import type { Stores } from '../support/converge.js';
import {
  committedOffsets,
  describeOffsets,
  partitionRanges,
  readWholeTopic,
  type ReadMessage,
  type TopicOffsets,
} from '../support/kafka-tools.js';
import { sampleSum } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import type { RunTables } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import type { LogLine } from '../support/service.js';
import { postgres, tableTopic, uniqueRunId } from '../support/stack.js';

const SINKS = ['elasticsearch', 'mongodb'] as const;
const CHURN_MS = 8000;

/**
 * Inserts, updates and deletes customers, inserts orders and updates a hard_types row whose
 * TOASTed column stays unchanged, one small transaction at a time, until `control` says stop.
 */
async function churn(
  client: pg.Client,
  tables: RunTables,
  run: string,
  control: { readonly until: number; stopped: boolean },
  counters: { changes: number },
) {
  const { customers, orders, hard_types: hardTypes } = tables.names;
  const live: number[] = [];
  for (let i = 0; Date.now() < control.until && !control.stopped; i++) {
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email) VALUES ($1, 'Churn', $2) RETURNING id`,
      [`Churn${i}`, `${run}-${i}@example.com`],
    );
    live.push(rows[0]!.id);
    const pick = () => live[Math.floor(Math.random() * live.length)]!;
    await client.query(`UPDATE inventory.${customers} SET last_name = $2 WHERE id = $1`, [
      pick(),
      `Churn v${i}`,
    ]);
    if (i % 3 === 2) {
      await client.query(
        `INSERT INTO inventory.${orders} (order_date, purchaser, quantity, product, amount) VALUES ('2026-11-23', $1, $2, 'churn', $3)`,
        [pick(), i, (i * 1.01).toFixed(2)],
      );
    }
    if (i % 4 === 3) {
      const [gone] = live.splice(Math.floor(Math.random() * live.length), 1);
      await client.query(`DELETE FROM inventory.${customers} WHERE id = $1`, [gone]);
    }
    if (i % 5 === 4) {
      await client.query(`UPDATE inventory.${hardTypes} SET flag = NOT flag, big = $1 WHERE tenant_id = 1`, [
        i,
      ]);
    }
    counters.changes++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface RowEvent {
  readonly op: string;
  readonly lsn: bigint;
  readonly offset: string;
}

interface KeyHistory {
  /** The last row event of the key below the committed offset of its partition. */
  below?: RowEvent;
  /** A delete of the key at or after the committed offset: the sink may have applied it already. */
  deletedLater: boolean;
}

/**
 * Per customer id, what the records below `committed` say the sink must hold, read from the topic
 * (tombstones and anything that is not a row event are skipped).
 */
function keyHistories(messages: readonly ReadMessage[], committed: ReadonlyMap<number, bigint>) {
  const histories = new Map<string, KeyHistory>();
  const ordered = [...messages].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
  for (const message of ordered) {
    if (!message.value) continue;
    let value: { payload?: { op?: string; source?: { lsn?: unknown } } };
    let key: { payload?: { id?: unknown } };
    try {
      value = parseLossless(message.value.toString()) as typeof value;
      key = parseLossless(message.key?.toString() ?? 'null') as typeof key;
    } catch {
      continue;
    }
    const op = value.payload?.op;
    const lsn = value.payload?.source?.lsn;
    const id = key?.payload?.id;
    if (!op || !['r', 'c', 'u', 'd'].includes(op) || lsn === undefined || id === undefined) continue;
    const history = histories.get(String(id)) ?? { deletedLater: false };
    histories.set(String(id), history);
    if (BigInt(message.offset) < (committed.get(message.partition) ?? -1n)) {
      history.below = { op, lsn: BigInt(String(lsn)), offset: `${message.partition}@${message.offset}` };
    } else if (op === 'd') {
      history.deletedLater = true;
    }
  }
  return histories;
}

function committedBatches(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg === 'batch committed');
}

describe('SIGKILL in the middle of a stream, then a restart', { timeout: 240_000 }, () => {
  const fixture = new TestRun(uniqueRunId('crash'), {
    // The killed member stays in the group until its session expires; keep that short.
    env: { KAFKA_SESSION_TIMEOUT_MS: '10000' },
  });
  const { run, tables, groups, service } = fixture;
  const customersTopic = tableTopic(tables.names.customers);
  const converge = () => fixture.converge({ timeoutMs: 120_000 });
  let stores: Stores;
  let mongo: MongoClient;
  let churnClient: pg.Client;
  let admin: Admin;

  before(async () => {
    ({ stores, mongo, admin } = await fixture.open());
    churnClient = await postgres();
    await service.start();
  });

  after(() => fixture.close(() => churnClient.end()));

  test('the service catches up first', async () => {
    await converge();
    await service.waitUntilReady();
  });

  test('killed mid-stream and restarted, it resumes at its committed offsets and converges', async () => {
    const counters = { changes: 0 };
    const control = { until: Date.now() + CHURN_MS, stopped: false };
    let churnDone = false;
    const churning = churn(churnClient, tables, run, control, counters).finally(() => {
      churnDone = true;
    });
    let changesAtKill = 0;
    const atKill = new Map<string, TopicOffsets>();
    let ranges: Awaited<ReturnType<typeof partitionRanges>> = new Map();
    // However this test ends, the churn stops before the tables are dropped.
    try {
      // Kill once the stream is flowing through both pipelines (batches of the churn committed) and
      // a good part of the churn is behind us, with more to come.
      const batchesBefore = committedBatches(service.lines).length;
      const killAfter = Date.now() + CHURN_MS / 3;
      await pollUntil('batches of the churn to be committed by both pipelines', async () => {
        const fresh = committedBatches(service.lines)
          .slice(batchesBefore)
          .filter((line) => line.topic === customersTopic);
        return (
          Date.now() >= killAfter &&
          SINKS.every((sink) => fresh.filter((line) => line.sink === sink).length >= 2)
        );
      });
      assert.equal(service.running, true);
      await service.kill('SIGKILL');
      assert.equal(churnDone, false, 'the kill came while changes were still being made');
      changesAtKill = counters.changes;

      // What the groups committed is what the restart must resume from, not a record later.
      const topics = tables.topics;
      for (const groupId of groups) atKill.set(groupId, await committedOffsets(admin, groupId, topics));
      ranges = await partitionRanges(admin, topics);

      // Commit-after-write: every customers event below a sink's committed offset is in that sink
      // already (its stored version is at least the event's LSN, or a delete left no document).
      const messages = await readWholeTopic(admin, customersTopic);
      for (const sink of SINKS) {
        const histories = keyHistories(messages, atKill.get(`${run}.${sink}`)!.get(customersTopic)!);
        const ids = [...histories].filter(([, history]) => history.below).map(([id]) => id);
        assert.ok(ids.length > 0, `${sink} committed some customers events`);
        const stored = new Map<string, bigint>();
        if (sink === 'elasticsearch') {
          const found = await stores.es.mget({ index: `${run}-inventory.${tables.names.customers}`, ids });
          for (const doc of found.docs) {
            if ('found' in doc && doc.found) stored.set(doc._id, BigInt(doc._version!));
          }
        } else {
          const docs = mongo
            .db(run)
            .collection<{ _id: string }>(`inventory.${tables.names.customers}`)
            .find({ _id: { $in: ids } }, { projection: { [POSITION_FIELD]: 1 } });
          for await (const doc of docs)
            stored.set(doc._id, BigInt(String((doc as Record<string, unknown>)[POSITION_FIELD])));
        }
        const behind: string[] = [];
        for (const id of ids) {
          const { below, deletedLater } = histories.get(id)!;
          const version = stored.get(id);
          // Stored at that position or a later one; or absent because that event, or a later one
          // the sink may already have written, deleted it.
          const ok = version !== undefined ? version >= below!.lsn : below!.op === 'd' || deletedLater;
          if (!ok) {
            behind.push(
              `${id}: committed ${below!.op}@${below!.lsn} (${below!.offset}), stored ${version ?? 'nothing'}`,
            );
          }
        }
        assert.deepEqual(behind.slice(0, 10), [], `${sink} committed offsets past what it wrote`);
      }

      await service.start();
      await churning;
    } finally {
      control.stopped = true;
      await churning.catch(() => undefined);
    }
    assert.ok(counters.changes > changesAtKill, 'changes went on after the kill');
    const reports = await converge();
    assert.ok(reports.every((report) => report.ok));
    await service.waitUntilReady();

    // Every partition the restart read, it read from the committed position (or from the start
    // when nothing was committed): at or before it, never after, so nothing was skipped.
    const firstBatch = new Map<string, LogLine>();
    for (const line of committedBatches(service.lines)) {
      const slot = `${String(line.sink)} ${String(line.topic)}/${String(line.partition)}`;
      if (!firstBatch.has(slot)) firstBatch.set(slot, line);
    }
    let resumed = 0;
    for (const sink of SINKS) {
      const committed = atKill.get(`${run}.${sink}`)!;
      for (const [topic, partitions] of committed) {
        for (const [partition, offset] of partitions) {
          const line = firstBatch.get(`${sink} ${topic}/${partition}`);
          if (!line) continue;
          const low = ranges.get(topic)?.get(partition)?.low ?? 0n;
          const resumeAt = offset >= 0n ? offset : low;
          const first = BigInt(String(line.first));
          assert.ok(
            first <= resumeAt,
            `${sink} ${topic}/${partition}: the restart's first batch starts at ${first}, after the committed ${resumeAt}\n` +
              describeOffsets(committed),
          );
          if (offset >= 0n) resumed++;
        }
      }
    }
    assert.ok(resumed > 0, 'the restart resumed at least one partition from a committed offset');

    const metrics = (await service.get('/metrics')).body;
    const stale = SINKS.map((sink) =>
      sampleSum(metrics, 'cdc_fanout_sink_writes_total', { sink, result: 'stale' }),
    );
    const written = SINKS.map((sink) =>
      sampleSum(metrics, 'cdc_fanout_sink_writes_total', { sink, result: 'written' }),
    );
    // Diagnostics: re-delivered events the guards refused after the restart, per sink.
    console.log(
      `# crash-restart: ${counters.changes} churn steps, ${changesAtKill} before the kill; after the restart ` +
        SINKS.map((sink, i) => `${sink} written=${written[i]} stale=${stale[i]}`).join(', '),
    );
  });
});
