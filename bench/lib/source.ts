// The change source the benchmark reads: by default its own database (bench_inventory, the demo
// schema from postgres/*.sql) captured by its own Debezium connector into bench.inventory.*, so a
// backlog of hundreds of thousands of events never lands in the cdc.inventory.* topics that the
// integration tests of other engineers consume from the beginning. `shared` uses the stack's own
// connector and topics instead.
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { postgres, sleep, stack, withDatabase } from './stack.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_TABLES = ['customers', 'orders', 'hard_types'] as const;

export interface BenchSource {
  readonly mode: 'isolated' | 'shared';
  readonly database: string;
  readonly postgresUrl: string;
  readonly topicPrefix: string;
  readonly topics: readonly string[];
  /** The Debezium connector writing the topics, and its replication slot. */
  readonly connector: string;
  readonly slot: string;
}

/**
 * `isolated`: database bench_inventory captured into bench.inventory.* by the connector
 * bench-inventory (slot bench_fanout); `smoke`: the same for a small backlog (bench_smoke,
 * benchsmoke.inventory.*), so a smoke run never reads the full run's backlog; `shared`: the
 * stack's own database, connector and cdc.inventory.* topics.
 */
export function describeSource(mode: 'isolated' | 'smoke' | 'shared'): BenchSource {
  if (mode === 'shared') {
    const database = new URL(stack.postgresUrl).pathname.slice(1);
    const topicPrefix = process.env.DEBEZIUM_TOPIC_PREFIX ?? 'cdc';
    return {
      mode: 'shared',
      database,
      postgresUrl: stack.postgresUrl,
      topicPrefix,
      topics: DEMO_TABLES.map((table) => `${topicPrefix}.inventory.${table}`),
      connector: 'cdc-inventory',
      slot: 'cdc_fanout',
    };
  }
  const smoke = mode === 'smoke';
  const database = smoke ? 'bench_smoke' : 'bench_inventory';
  const topicPrefix = smoke ? 'benchsmoke' : 'bench';
  return {
    mode: 'isolated',
    database,
    postgresUrl: withDatabase(stack.postgresUrl, database),
    topicPrefix,
    topics: DEMO_TABLES.map((table) => `${topicPrefix}.inventory.${table}`),
    connector: smoke ? 'bench-smoke' : 'bench-inventory',
    slot: smoke ? 'bench_smoke' : 'bench_fanout',
  };
}

/**
 * The Avro twin of a shared source: the stack's cdc-inventory-avro connector
 * (debezium/postgres-connector-avro.json) captures the same database and tables as cdc-inventory,
 * into <CDC_AVRO_TOPIC_PREFIX>.inventory.*, so both topic sets hold the same row changes. An
 * isolated source has none: a twin registered later would hold only a snapshot, not the history.
 */
export function avroTwin(source: BenchSource): BenchSource | null {
  if (source.mode !== 'shared') return null;
  const topicPrefix = process.env.CDC_AVRO_TOPIC_PREFIX ?? 'cdc_avro';
  return {
    ...source,
    topicPrefix,
    topics: DEMO_TABLES.map((table) => `${topicPrefix}.inventory.${table}`),
    connector: 'cdc-inventory-avro',
    slot: 'cdc_fanout_avro',
  };
}

async function connectorConfig(source: BenchSource): Promise<Record<string, string>> {
  const file = JSON.parse(await readFile(join(ROOT, 'debezium/postgres-connector.json'), 'utf8')) as {
    config: Record<string, string>;
  };
  const pg = new URL(source.postgresUrl);
  return {
    ...file.config,
    'database.hostname': pg.hostname,
    'database.port': pg.port || '5432',
    'database.user': decodeURIComponent(pg.username),
    'database.password': decodeURIComponent(pg.password),
    'database.dbname': source.database,
    'topic.prefix': source.topicPrefix,
    'slot.name': source.slot,
    'publication.name': source.slot,
  };
}

async function connect(path: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const response = await fetch(`${stack.connectUrl}${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json' },
  });
  return { status: response.status, body: await response.text() };
}

export async function waitConnectorRunning(name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { status, body } = await connect(`/connectors/${name}/status`).catch(() => ({
      status: 0,
      body: '',
    }));
    if (status === 200) {
      const parsed = JSON.parse(body) as { connector: { state: string }; tasks: Array<{ state: string }> };
      const states = [parsed.connector.state, ...parsed.tasks.map((task) => task.state)];
      if (states.includes('FAILED')) throw new Error(`connector ${name} FAILED: ${body.slice(0, 500)}`);
      if (parsed.tasks.length > 0 && states.every((state) => state === 'RUNNING')) return;
      last = states.join(',');
    }
    await sleep(500);
  }
  throw new Error(`connector ${name} not RUNNING within ${timeoutMs} ms (${last})`);
}

/** Creates the bench database, schema and connector when missing; leaves existing ones as they are. */
export async function prepareSource(source: BenchSource, log: (line: string) => void): Promise<void> {
  if (source.mode === 'shared') {
    await waitConnectorRunning(source.connector, 30_000);
    return;
  }
  const admin = await postgres(stack.postgresUrl);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [source.database]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${source.database}`);
      log(`created database ${source.database}`);
    }
  } finally {
    await admin.end();
  }
  const db = await postgres(source.postgresUrl);
  try {
    const schema = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'inventory'");
    if (schema.rowCount === 0) {
      const files = (await readdir(join(ROOT, 'postgres'))).filter((file) => file.endsWith('.sql')).sort();
      for (const file of files) await db.query(await readFile(join(ROOT, 'postgres', file), 'utf8'));
      log(`loaded ${files.join(', ')} into ${source.database}`);
    }
  } finally {
    await db.end();
  }
  const wanted = await connectorConfig(source);
  const current = await connect(`/connectors/${source.connector}/config`);
  const same =
    current.status === 200 &&
    JSON.stringify(Object.entries(JSON.parse(current.body) as Record<string, string>).sort()) ===
      JSON.stringify(Object.entries({ ...wanted, name: source.connector }).sort());
  if (!same) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const put = await connect(`/connectors/${source.connector}/config`, {
        method: 'PUT',
        body: JSON.stringify(wanted),
      });
      if (put.status === 200 || put.status === 201) break;
      // 409: the Connect group is rebalancing.
      if (put.status !== 409 || Date.now() > deadline)
        throw new Error(`registering ${source.connector} failed: HTTP ${put.status} ${put.body}`);
      await sleep(1000);
    }
    log(`registered connector ${source.connector} (${source.topicPrefix}.inventory.*)`);
  }
  await waitConnectorRunning(source.connector, 120_000);
}

/** Removes what prepareSource made: connector, replication slot, publication, database, topics. */
export async function dropSource(
  source: BenchSource,
  admin: Admin,
  log: (line: string) => void,
): Promise<void> {
  if (source.mode === 'shared') return;
  await connect(`/connectors/${source.connector}`, { method: 'DELETE' });
  const pg = await postgres(stack.postgresUrl);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const slot = await pg.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [
        source.slot,
      ]);
      if (slot.rowCount === 0) break;
      if (!slot.rows[0].active) {
        await pg.query('SELECT pg_drop_replication_slot($1)', [source.slot]);
        break;
      }
      await sleep(1000);
    }
    await pg.query(`DROP DATABASE IF EXISTS ${source.database} WITH (FORCE)`);
  } finally {
    await pg.end();
  }
  const existing = new Set(await admin.listTopics());
  const topics = [...source.topics, `__debezium-heartbeat.${source.topicPrefix}`].filter((t) =>
    existing.has(t),
  );
  if (topics.length > 0) await admin.deleteTopics({ topics });
  log(`dropped connector ${source.connector}, slot ${source.slot}, database ${source.database}, topics`);
}

export interface TopicCount {
  readonly total: number;
  readonly byTopic: Record<string, number>;
  /** End offset per topic and partition, for the lag of a group. */
  readonly ends: Record<string, Record<number, bigint>>;
}

/** Messages held by the topics (end minus start offsets), tombstones included. */
export async function countMessages(admin: Admin, topics: readonly string[]): Promise<TopicCount> {
  const byTopic: Record<string, number> = {};
  const ends: Record<string, Record<number, bigint>> = {};
  let total = 0;
  const existing = new Set(await admin.listTopics());
  for (const topic of topics) {
    if (!existing.has(topic)) {
      byTopic[topic] = 0;
      ends[topic] = {};
      continue;
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    let count = 0;
    ends[topic] = {};
    for (const partition of offsets) {
      count += Number(BigInt(partition.high) - BigInt(partition.low));
      ends[topic]![partition.partition] = BigInt(partition.high);
    }
    byTopic[topic] = count;
    total += count;
  }
  return { total, byTopic, ends };
}

/** Waits until the topics stop growing (Debezium has published what Postgres committed). */
export async function waitTopicsSettled(
  admin: Admin,
  topics: readonly string[],
  quietMs: number,
  timeoutMs: number,
): Promise<TopicCount> {
  const deadline = Date.now() + timeoutMs;
  let last = await countMessages(admin, topics);
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(1000);
    const now = await countMessages(admin, topics);
    if (now.total !== last.total) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  return last;
}

export interface GenerateRun {
  readonly targetRate: number;
  readonly events: number;
  readonly achievedRate: number;
  readonly elapsedMs: number;
  readonly errors: number;
}

/**
 * Runs the project's load generator (`cdc-fanout generate`) as its own process against the
 * source database, and answers its JSON report.
 */
export async function runGenerator(
  source: BenchSource,
  options: { rate: number; durationS: number; connections?: number; signal?: AbortSignal },
): Promise<GenerateRun> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'generate',
    '--rate',
    String(options.rate),
    '--duration',
    `${Math.max(1, Math.round(options.durationS))}s`,
    '--connections',
    String(options.connections ?? 4),
    '--json',
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, POSTGRES_URL: source.postgresUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  options.signal?.removeEventListener('abort', onAbort);
  let report: { events?: number; achievedRate?: number; elapsedMs?: number; stats?: { errors?: number } };
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    throw new Error(
      `generate exited ${code} without a JSON report: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return {
    targetRate: options.rate,
    events: report.events ?? 0,
    achievedRate: report.achievedRate ?? 0,
    elapsedMs: report.elapsedMs ?? 0,
    errors: report.stats?.errors ?? 0,
  };
}
