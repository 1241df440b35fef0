// The fault-injection suite: a sustained workload (the load generator as a child process) on the
// demo tables while faults are injected one after another, each followed by a recovery wait
// (/readyz 200 on every instance, then the groups' lag back under a threshold with commits moving).
// At the end the generator stops, the stream drains, and verify must find every table equal in
// both sinks, with exactly the expected poison records in the run's dead-letter topic.
//
// The shared demo topics hold a long history that a fresh group would take far too long to read,
// so the run's groups start at the topics' current end and the run's sinks are first rebuilt from
// Postgres with `resync` (the contract's way to seed a sink while the stream races it, §2).
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { DEAD_LETTER_HEADERS } from '../../src/pipeline/dead-letter.js';
import {
  DEMO_TABLES,
  describeReports,
  verifyAll,
  waitForConvergence,
  type Stores,
} from '../integration/support/converge.js';
import { elasticsearch, kafka, postgres, tableTopic } from '../integration/support/stack.js';
import {
  Instance,
  TABLE_TOPICS,
  cleanupRun,
  committedOffsets,
  componentHealthy,
  connectAdmin,
  endOffsets,
  mongodbWithTimeouts,
  pollUntil,
  readWholeTopic,
  sampleSum,
  startComponent,
  stopComponent,
  type Component,
  type TopicOffsets,
} from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const execFileAsync = promisify(execFile);

const SINKS = ['elasticsearch', 'mongodb'] as const;
const RUN_ID = `chaos-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
type Sink = (typeof SINKS)[number];
// A rate the 2-core CI machine sustains beside the whole stack while components are stopped and
// restarted, with as many deletes as inserts (--mix 1:2:1) so that the tables keep their size and
// the final verify stays quick.
const RATE = Number(process.env.CHAOS_RATE ?? 30);
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);
const LAG_THRESHOLD = BigInt(process.env.CHAOS_LAG_THRESHOLD ?? 1500);
const RECOVERY_TIMEOUT_MS = Number(process.env.CHAOS_RECOVERY_TIMEOUT_MS ?? 120_000);
const CONVERGENCE_MS = Number(process.env.IT_CONVERGENCE_TIMEOUT_MS ?? 180_000);
const CONNECTOR = process.env.CHAOS_CONNECTOR ?? 'cdc-inventory';
const CONNECT_URL = process.env.CONNECT_URL ?? 'http://127.0.0.1:8083';
const SUMMARY_FILE = fileURLToPath(new URL('./last-summary.md', import.meta.url));
/** A tenant far from the generator's (1e9 .. 1e9+999): the run's own hard_types rows. */
const TENANT = 2_100_000_000 + Math.floor(Math.random() * 40_000_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);

interface Recovery {
  readonly fault: string;
  readonly kind: string;
  readonly readySeconds: number;
  readonly lagSeconds: number;
}

/** The load generator as a child process; stop() sends SIGTERM and answers its --json report. */
class Generator {
  private child: ChildProcess | null = null;
  private stdout = '';
  private stderrTail: string[] = [];
  private exited: Promise<number | null> = Promise.resolve(null);

  start(rate: number): void {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'generate',
        '--rate',
        String(rate),
        '--duration',
        '3600s',
        '--mix',
        '1:2:1',
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail.push(chunk.toString());
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<{ events: number; achievedRate: number; stats: unknown }> {
    if (this.running) this.child!.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      this.child?.kill('SIGKILL');
      throw new Error('the generator did not stop within 60 s of SIGTERM');
    }
    try {
      return JSON.parse(this.stdout) as { events: number; achievedRate: number; stats: unknown };
    } catch {
      throw new Error(
        `no JSON report from the generator (exit ${code}):\n${this.stdout}\n${this.stderrTail.join('')}`,
      );
    }
  }
}

const sum = (offsets: TopicOffsets) =>
  [...offsets.values()].reduce(
    (total, partitions) => [...partitions.values()].reduce((t, o) => t + (o < 0n ? 0n : o), total),
    0n,
  );

describe('chaos: faults under a sustained workload lose nothing', { timeout: 900_000 }, () => {
  const run = RUN_ID;
  const groups: Record<Sink, string> = { elasticsearch: `${run}.elasticsearch`, mongodb: `${run}.mongodb` };
  const env = {
    KAFKA_GROUP_ID_BASE: run,
    ELASTICSEARCH_INDEX_PREFIX: `${run}-`,
    MONGODB_DATABASE: run,
    DEAD_LETTER_TOPIC: `${run}.dead-letter`,
    KAFKA_TOPICS: TABLE_TOPICS.join(','),
    // A killed member holds its partitions until its session expires; keep that short.
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    // Backoff capped low, so the first attempt after a component is back comes within seconds.
    RETRY_MAX_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
  };
  const instances = [new Instance(env), new Instance(env)] as const;
  const [first, second] = instances;
  const generator = new Generator();
  const recoveries: Recovery[] = [];
  const faults = new Map<string, number>();
  const stopped = new Set<Component>();
  const expectedLetters: Record<Sink, number> = { elasticsearch: 0, mongodb: 0 };
  const foundLetters: Record<Sink, number> = { elasticsearch: 0, mongodb: 0 };
  let generatorReport: { events: number; achievedRate: number } | null = null;
  let documentsChecked = 0;
  let documentsDifferent = -1;
  let runStart: TopicOffsets = new Map();
  let stores: Stores;
  let mongo: MongoClient;
  let admin: Admin;
  let producer: Producer;
  /** The poison records produced by hand: topic, partition, offset. */
  const poisonOrigins: Array<{ topic: string; partition: number; offset: string }> = [];

  const running = () => instances.filter((instance) => instance.up);
  const lagOf = async (sink: Sink) => {
    const ends = await endOffsets(admin, TABLE_TOPICS);
    const committed = await committedOffsets(admin, groups[sink], TABLE_TOPICS);
    let lag = 0n;
    for (const [topic, partitions] of ends) {
      for (const [partition, end] of partitions) {
        const done = committed.get(topic)?.get(partition) ?? -1n;
        lag += done < 0n ? end : end - done;
      }
    }
    return lag;
  };
  const committedSum = async (sink: Sink) => sum(await committedOffsets(admin, groups[sink], TABLE_TOPICS));
  const written = async (sink: Sink) => {
    let total = 0;
    for (const instance of running()) {
      const text = (await instance.get('/metrics').catch(() => ({ body: '' }))).body;
      total += sampleSum(text, 'cdc_fanout_sink_writes_total', { sink, result: 'written' });
    }
    return total;
  };

  /** Waits for /readyz 200 on every running instance, then for both groups to commit and catch up. */
  async function recover(fault: string, kind: string, since: number): Promise<void> {
    faults.set(kind, (faults.get(kind) ?? 0) + 1);
    const live = running();
    await pollUntil(
      `${fault}: /readyz 200 on ${live.length} instance(s)`,
      async () =>
        (await Promise.all(live.map((i) => i.get('/readyz').catch(() => null)))).every(
          (r) => r?.status === 200,
        ),
      {
        timeoutMs: RECOVERY_TIMEOUT_MS,
        intervalMs: 250,
        describe: async () =>
          (await Promise.all(live.map((i) => i.get('/readyz').then((r) => r.body, String)))).join('\n'),
      },
    );
    const readyAt = Date.now();
    // Polled too: right after a broker restart the group coordinator may still be moving.
    const startCommitted = await pollUntil(
      `${fault}: the groups' committed offsets`,
      async () => ({
        elasticsearch: await committedSum('elasticsearch'),
        mongodb: await committedSum('mongodb'),
      }),
      { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 500 },
    );
    let last = '';
    await pollUntil(
      `${fault}: both groups committing again with lag under ${LAG_THRESHOLD}`,
      async () => {
        const lines: string[] = [];
        for (const sink of SINKS) {
          const lag = await lagOf(sink);
          const moved = (await committedSum(sink)) > startCommitted[sink];
          if (lag >= LAG_THRESHOLD || !moved) lines.push(`${sink}: lag ${lag}, commits moved: ${moved}`);
        }
        last = lines.join('; ');
        return lines.length === 0;
      },
      { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 500, describe: () => last },
    );
    const recovery = {
      fault,
      kind,
      readySeconds: (readyAt - since) / 1000,
      lagSeconds: (Date.now() - since) / 1000,
    };
    recoveries.push(recovery);
    console.log(
      `# ${fault}: ready after ${seconds(readyAt - since)} s, caught up after ${seconds(Date.now() - since)} s`,
    );
  }

  async function stopFor(component: Component): Promise<void> {
    stopped.add(component);
    await stopComponent(component);
  }
  async function startAgain(component: Component): Promise<void> {
    await startComponent(component);
    stopped.delete(component);
  }

  async function outage(component: 'elasticsearch' | 'mongo', flowing: Sink): Promise<void> {
    const before = await written(flowing);
    await stopFor(component);
    const down = Date.now();
    try {
      await duringOutage(component, flowing, before, down);
    } finally {
      await startAgain(component);
    }
    await recover(`${component} down ${seconds(OUTAGE_MS)} s`, `${component} outage`, Date.now());
  }

  async function duringOutage(
    component: 'elasticsearch' | 'mongo',
    flowing: Sink,
    before: number,
    down: number,
  ): Promise<void> {
    assert.equal(await componentHealthy(component), false);
    // While it is down, the other sink's pipeline keeps writing.
    const grown = await pollUntil(
      `${flowing} writes to grow while ${component} is down`,
      async () => {
        const now = await written(flowing);
        return now > before ? now : null;
      },
      { timeoutMs: OUTAGE_MS },
    );
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - down)));
    assert.ok((await written(flowing)) >= grown, `${flowing} written counter went on growing`);
    const flowingLag = await lagOf(flowing);
    assert.ok(
      flowingLag < LAG_THRESHOLD * 4n,
      `${flowing} kept up during the ${component} outage (lag ${flowingLag})`,
    );
  }

  async function connectorStatus(): Promise<{ connector: string; tasks: string[] }> {
    const response = await fetch(`${CONNECT_URL}/connectors/${CONNECTOR}/status`);
    if (!response.ok) throw new Error(`connector status ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { connector: { state: string }; tasks: Array<{ state: string }> };
    return { connector: body.connector.state, tasks: body.tasks.map((task) => task.state) };
  }

  async function resync(table: string): Promise<void> {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'resync', '--table', `inventory.${table}`],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      },
    );
    console.log(`# resync ${stdout.trim().replace(/\n/g, '\n# ')}`);
  }

  before(async () => {
    // Other runs share the stack and stop components too: wait until everything is up.
    for (const component of ['elasticsearch', 'mongo', 'kafka', 'connect'] as const)
      await pollUntil(`${component} to be healthy before the run`, () => componentHealthy(component), {
        timeoutMs: 180_000,
        intervalMs: 2000,
      });
    mongo = await mongodbWithTimeouts();
    stores = { pg: await postgres(), es: elasticsearch(), mongo };
    admin = await connectAdmin();
    producer = kafka().producer();
    await producer.connect();
  });

  after(async () => {
    // Whatever happened, what this run stopped is started again (only that: another run may be
    // holding a component down on purpose).
    for (const component of stopped) {
      await startComponent(component).catch((error: unknown) =>
        console.warn(`# restarting ${component}: ${String(error)}`),
      );
    }
    if (generator.running) {
      const report = await generator.stop().catch(() => null);
      generatorReport ??= report;
    }
    for (const instance of instances) await instance.kill('SIGTERM').catch(() => undefined);
    for (const [index, instance] of instances.entries()) {
      console.log(`# service log: ${await instance.saveOutput(`${run}-${index}`)}`);
    }
    if (!stores) return;
    await writeSummary().catch((error: unknown) => console.warn(`# summary: ${String(error)}`));
    // Rows the run made itself.
    await stores.pg
      .query(`DELETE FROM inventory.hard_types WHERE tenant_id = $1`, [TENANT])
      .catch(() => undefined);
    const cleanupAdmin = await connectAdmin().catch(() => admin);
    await cleanupRun(stores.es, mongo, cleanupAdmin, {
      indexPattern: `${run}-*`,
      database: run,
      groups: Object.values(groups),
      topics: [env.DEAD_LETTER_TOPIC],
    });
    await cleanupAdmin.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await mongo.close();
    await stores.pg.end();
  });

  async function writeSummary(): Promise<void> {
    const rows: string[] = [];
    rows.push(`# Chaos run ${run}`, '');
    rows.push(`| measure | value |`, `|---|---|`);
    rows.push(
      `| changes applied in Postgres (load generator) | ${generatorReport ? `${generatorReport.events} (${generatorReport.achievedRate}/s, target ${RATE}/s)` : 'n/a'} |`,
    );
    for (const [kind, count] of faults) rows.push(`| faults: ${kind} | ${count} |`);
    rows.push(`| documents checked (both sinks) | ${documentsChecked} |`);
    rows.push(
      `| documents different, missing or extra | ${documentsDifferent < 0 ? 'n/a' : documentsDifferent} |`,
    );
    for (const sink of SINKS)
      rows.push(
        `| dead letters ${sink}: expected / found | ${expectedLetters[sink]} / ${foundLetters[sink]} |`,
      );
    rows.push('', `| fault | /readyz 200 after (s) | lag < ${LAG_THRESHOLD} after (s) |`, `|---|---|---|`);
    for (const r of recoveries)
      rows.push(`| ${r.fault} | ${r.readySeconds.toFixed(1)} | ${r.lagSeconds.toFixed(1)} |`);
    const text = `${rows.join('\n')}\n`;
    console.log(text);
    await writeFile(SUMMARY_FILE, text);
  }

  test('setup: groups start at the topic ends, the sinks are rebuilt from Postgres, the workload runs', async () => {
    runStart = await endOffsets(admin, TABLE_TOPICS);
    for (const sink of SINKS) {
      for (const [topic, partitions] of runStart) {
        await admin.setOffsets({
          groupId: groups[sink],
          topic,
          partitions: [...partitions].map(([partition, offset]) => ({ partition, offset: String(offset) })),
        });
      }
    }
    await first.start();
    await Promise.all(DEMO_TABLES.map((table) => resync(table)));
    generator.start(RATE);
    await recover('start', 'start', Date.now());
  });

  test('(1) SIGKILL at random moments, three times, each followed by a restart', async () => {
    for (let round = 1; round <= 3; round++) {
      await sleep(1000 + Math.random() * 5000);
      assert.ok(first.up);
      await first.kill('SIGKILL');
      const killed = Date.now();
      await first.start();
      await recover(`SIGKILL #${round}`, 'SIGKILL', killed);
    }
  });

  test('(2) two instances in the same groups; one stopped mid-stream, then started again', async () => {
    await second.start();
    await recover('second instance joins', 'rebalance', Date.now());
    await first.kill('SIGTERM');
    await recover('one of two instances stopped', 'rebalance', Date.now());
    await first.start();
    await recover('stopped instance started again', 'rebalance', Date.now());
  });

  test('(8) offset reset of the elasticsearch group to the run’s earliest offset while the stream runs', async () => {
    const since = Date.now();
    for (const instance of instances) await instance.kill('SIGTERM');
    // The run's groups started at the topic ends; the run's earliest offsets are those. (A reset to
    // the topics' log start would replay the shared stack's whole history.)
    const earliest = process.env.CHAOS_RESET_TO_LOG_START === '1';
    for (const topic of TABLE_TOPICS) {
      if (earliest) {
        await admin.resetOffsets({ groupId: groups.elasticsearch, topic, earliest: true });
      } else {
        await admin.setOffsets({
          groupId: groups.elasticsearch,
          topic,
          partitions: [...runStart.get(topic)!].map(([partition, offset]) => ({
            partition,
            offset: String(offset),
          })),
        });
      }
    }
    const reset = await committedOffsets(admin, groups.elasticsearch, TABLE_TOPICS);
    assert.equal(sum(reset), earliest ? sum(reset) : sum(runStart));
    for (const instance of instances) await instance.start();
    await recover('elasticsearch group reset to the run start', 'offset reset', since);
  });

  test('(3) Elasticsearch stopped for 30 s while MongoDB keeps flowing', async () => {
    await outage('elasticsearch', 'mongodb');
  });

  test('(4) MongoDB stopped for 30 s while Elasticsearch keeps flowing', async () => {
    await outage('mongo', 'elasticsearch');
  });

  test('(5) the Kafka broker restarted; Connect and the service recover by themselves', async () => {
    await stopFor('kafka');
    const since = Date.now();
    await startAgain('kafka');
    // The service can only be seen committing again once Debezium produces again: that is Connect's
    // recovery, waited for on its own. With Connect's default heartbeat the worker revoked its tasks
    // during the restart and a task that did not stop in time kept the replication slot, so the
    // stream never came back; the stack's worker settings (stack/components/connect.sh) prevent it.
    const endsAfterRestart = await pollUntil(
      "the topics' end offsets once the broker answers",
      async () => sum(await endOffsets(admin, TABLE_TOPICS)),
      { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 1000 },
    );
    await pollUntil(
      'Debezium producing again after the broker restart',
      async () => sum(await endOffsets(admin, TABLE_TOPICS)) > endsAfterRestart,
      { timeoutMs: 2 * RECOVERY_TIMEOUT_MS, intervalMs: 1000 },
    );
    await recover('Kafka broker restarted', 'Kafka restart', since);
    await pollUntil('the connector and its task RUNNING after the broker restart', async () => {
      const status = await connectorStatus();
      return (
        status.connector === 'RUNNING' &&
        status.tasks.length > 0 &&
        status.tasks.every((s) => s === 'RUNNING')
      );
    });
  });

  test('(6) the Connect worker restarted; Debezium resumes from its stored offsets', async () => {
    const endsBefore = sum(await endOffsets(admin, TABLE_TOPICS));
    await stopFor('connect');
    const since = Date.now();
    await startAgain('connect');
    const connectors = (await (await fetch(`${CONNECT_URL}/connectors`)).json()) as string[];
    assert.ok(connectors.includes(CONNECTOR), `${CONNECTOR} is still registered`);
    await pollUntil(
      'the connector and its task RUNNING',
      async () => {
        const status = await connectorStatus();
        return (
          status.connector === 'RUNNING' &&
          status.tasks.length > 0 &&
          status.tasks.every((s) => s === 'RUNNING')
        );
      },
      { timeoutMs: 90_000 },
    );
    await pollUntil(
      'new change events in the table topics',
      async () => sum(await endOffsets(admin, TABLE_TOPICS)) > endsBefore + 100n,
      {
        timeoutMs: 90_000,
      },
    );
    await recover('Connect worker restarted', 'Connect restart', since);
  });

  test('(7) poison: dead-lettered by both pipelines; a mapping conflict by Elasticsearch only; hostile keys are data', async () => {
    const { pg } = stores;
    const since = Date.now();
    // Hostile keys are data: the row reaches both sinks, MongoDB escaping them.
    await pg.query(
      `INSERT INTO inventory.hard_types (tenant_id, item_id, big, doc) VALUES ($1, 1, 1, $2::jsonb)`,
      [TENANT, JSON.stringify({ $where: '1 == 1', 'a.b': { $set: 7 }, 'x.y.z': 'dotted' })],
    );
    const hostile = await pollUntil('the hostile-keys row in MongoDB', async () =>
      mongo.db(run).collection(`inventory.hard_types`).findOne({ tenant_id: TENANT }),
    );
    const doc = (hostile as Record<string, unknown>).doc as Record<string, unknown>;
    assert.equal(doc['＄where'], '1 == 1', 'MongoDB stores "$where" escaped, as data');
    assert.deepEqual(doc['a．b'], { '＄set': 7 }, 'MongoDB stores "a.b" and "$set" escaped, as data');
    const index = `${run}-inventory.hard_types`;
    await pollUntil('the hostile-keys row in Elasticsearch', async () => {
      await stores.es.indices.refresh({ index });
      const found = await stores.es.count({ index, query: { term: { tenant_id: TENANT } } });
      return found.count === 1;
    });
    const mapping = await stores.es.indices.getMapping({ index });
    const docMapping = Object.values(mapping)[0]!.mappings.properties?.doc as {
      properties?: Record<string, { type?: string }>;
    };
    const whereType = docMapping.properties?.['$where']?.type;
    assert.ok(
      whereType === 'text' || whereType === 'keyword',
      `doc.$where is mapped as a string (${whereType})`,
    );

    // Hand-made poison in a table topic: decoded by neither pipeline.
    const key = Buffer.from(JSON.stringify({ id: TENANT }));
    const envelope = {
      before: null,
      after: { id: TENANT, first_name: 'Poison', last_name: run, email: `${run}@poison.example` },
      source: {
        version: '3.2.3.Final',
        connector: 'postgresql',
        name: 'cdc',
        db: 'inventory',
        schema: 'inventory',
        table: 'customers',
        lsn: 1,
      },
      op: 'c',
      ts_ms: Date.now(),
    };
    const valid = JSON.stringify(envelope);
    const { op: _op, ...withoutOp } = envelope;
    const poisons = [
      Buffer.from(valid.slice(0, Math.floor(valid.length / 2))),
      Buffer.from(JSON.stringify(withoutOp)),
      Buffer.from(JSON.stringify({ ...envelope, op: 'x' })),
    ];
    const topic = tableTopic('customers');
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: poisons.map((value) => ({ key, value, partition: 0 })),
    });
    poisons.forEach((_, index) =>
      poisonOrigins.push({
        topic,
        partition: sent!.partition,
        offset: String(BigInt(sent!.baseOffset!) + BigInt(index)),
      }),
    );
    for (const sink of SINKS) expectedLetters[sink] += poisons.length;

    // A value the index mapping rejects, made through Postgres: "$where" as an object.
    await pg.query(
      `INSERT INTO inventory.hard_types (tenant_id, item_id, big, doc) VALUES ($1, 2, 2, $2::jsonb)`,
      [TENANT, JSON.stringify({ $where: { nested: true } })],
    );
    expectedLetters.elasticsearch += 1;
    await pollUntil('the mapping-conflict row in MongoDB', async () =>
      mongo.db(run).collection(`inventory.hard_types`).findOne({ tenant_id: TENANT, item_id: 2 }),
    );
    await pollUntil(
      'the dead letters of the poison',
      async () => {
        const letters = await readWholeTopic(admin, env.DEAD_LETTER_TOPIC, 30_000);
        return letters.length >= expectedLetters.elasticsearch + expectedLetters.mongodb;
      },
      { timeoutMs: 90_000, intervalMs: 2000 },
    );
    // The rejected row is deleted in Postgres, so both sinks converge on it.
    await pg.query(`DELETE FROM inventory.hard_types WHERE tenant_id = $1 AND item_id = 2`, [TENANT]);
    await recover('poison dead-lettered', 'poison', since);
  });

  test('end: the workload stops, the stream drains, every sink equals Postgres, the dead letters are exact', async () => {
    generatorReport = await generator.stop();
    assert.ok(generatorReport.events > 0, 'the generator made changes');
    const ends = await endOffsets(admin, TABLE_TOPICS);
    await pollUntil(
      'both groups to drain',
      async () => {
        for (const sink of SINKS) {
          const committed = await committedOffsets(admin, groups[sink], TABLE_TOPICS);
          for (const [topic, partitions] of ends)
            for (const [partition, end] of partitions)
              if ((committed.get(topic)?.get(partition) ?? -1n) < end) return false;
        }
        return true;
      },
      { timeoutMs: CONVERGENCE_MS, intervalMs: 1000 },
    );
    let reports;
    try {
      reports = await waitForConvergence(stores, env, { timeoutMs: 60_000, tables: DEMO_TABLES });
    } catch (error) {
      reports = await verifyAll(stores, env, DEMO_TABLES);
      documentsChecked = reports.reduce((total, r) => total + r.sinkDocuments, 0);
      documentsDifferent = reports.reduce(
        (t, r) => t + r.different.count + r.missing.count + r.extra.count,
        0,
      );
      throw error;
    }
    documentsChecked = reports.reduce((total, r) => total + r.sinkDocuments, 0);
    documentsDifferent = reports.reduce((t, r) => t + r.different.count + r.missing.count + r.extra.count, 0);
    assert.equal(documentsDifferent, 0, describeReports(reports));
    assert.equal(reports.length, SINKS.length * DEMO_TABLES.length);

    const letters = await readWholeTopic(admin, env.DEAD_LETTER_TOPIC);
    for (const sink of SINKS) {
      const mine = letters.filter((letter) => letter.headers[DEAD_LETTER_HEADERS.sink] === sink);
      foundLetters[sink] = mine.length;
      // Small poison keeps its bytes: every header but the "omitted for size" ones, and its value;
      // the target is named by write failures only (the poison here is undecodable).
      const { valueOmitted, keyOmitted, target: _target, ...always } = DEAD_LETTER_HEADERS;
      for (const letter of mine) {
        for (const header of Object.values(always))
          assert.ok(letter.headers[header] !== undefined, `${sink} letter has header ${header}`);
        for (const header of [valueOmitted, keyOmitted])
          assert.equal(letter.headers[header], undefined, `${sink} letter has no ${header}`);
        assert.ok(letter.value && letter.value.length > 0, `${sink} letter keeps the original value`);
      }
      for (const origin of poisonOrigins) {
        const found = mine.filter(
          (letter) =>
            letter.headers[DEAD_LETTER_HEADERS.topic] === origin.topic &&
            letter.headers[DEAD_LETTER_HEADERS.partition] === String(origin.partition) &&
            letter.headers[DEAD_LETTER_HEADERS.offset] === origin.offset,
        );
        assert.equal(
          found.length,
          1,
          `${sink}: one dead letter for ${origin.topic}/${origin.partition}@${origin.offset}`,
        );
        assert.equal(found[0]!.headers[DEAD_LETTER_HEADERS.errorClass], 'DecodeError');
      }
    }
    const mapping = letters.filter(
      (letter) => letter.headers[DEAD_LETTER_HEADERS.topic] === tableTopic('hard_types'),
    );
    assert.equal(mapping.length, 1, 'one mapping rejection, from the elasticsearch pipeline');
    assert.equal(mapping[0]!.headers[DEAD_LETTER_HEADERS.sink], 'elasticsearch');
    assert.ok(mapping[0]!.headers[DEAD_LETTER_HEADERS.target], 'a refused write names its index');
    assert.match(mapping[0]!.key?.toString() ?? '', new RegExp(String(TENANT)));
    assert.deepEqual(foundLetters, expectedLetters, letters.map((l) => JSON.stringify(l.headers)).join('\n'));
  });
});
