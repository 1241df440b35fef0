// `npm run bench` / `npm run bench:smoke`: measures cdc-fanout against the sinks' own limit and
// against the peers of bench/peers, on the local stack, and writes results.json, results.md,
// chart.png and profile.md. Every run uses its own consumer groups, index prefix and Mongo
// database and removes them at the end; the backlog lives in the bench's own source (source.ts).
//
//   tsx bench/run.ts [--smoke] [--source isolated|shared] [--backlog N] [--skip a,b] [--peers]
//                    [--out DIR] [--drop-source] [--sinks elasticsearch,mongodb] [--compiled]
//                    [--rounds N]
//   --rounds: raw pass and one-sink catch-up pairs per sink in phase pairs (3; smoke: phase off unless given).
//   --compiled runs the service from dist/ (npm run build first), as the image does, not through tsx.
//   phases for --skip: raw, catchup, recovery, alone, avro, pairs, steady, peers, profile, clients, reindex, chart
//   avro (Avro against JSON) needs --source shared and the stack's registry (stack/up.sh registry).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Admin } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { renderChart, type LatencyBar, type ThroughputBar } from './lib/chart.js';
import {
  catchUp,
  LATENCY_METRIC,
  serviceEnv,
  steadyState,
  verifyStores,
  waitCaughtUp,
  type CatchUpResult,
} from './lib/fanout.js';
import { formatLoad, formatNumber } from './lib/format.js';
import { roundRatio, type PairedRatios } from './lib/pairs.js';
import { clientGroups, evaluateKafkaClients } from './lib/kafka-clients.js';
import { describeMachine, describeVersions } from './lib/machine.js';
import { discoverPeers, runPeer } from './lib/peers.js';
import { loadAverage, settle } from './lib/proc.js';
import { summariseProfile, type CpuProfile } from './lib/profile.js';
import { histogramBuckets, sumOf } from './lib/prom.js';
import { largestTable, rebuildStep, type RebuildStep } from './lib/rebuild.js';
import { BENCH_PROCESS, startStackMeter } from './lib/cpu-split.js';
import {
  loadSampleRows,
  rawElasticsearch,
  rawMongo,
  rawTargets,
  type RawOptions,
  type RawSinkResult,
} from './lib/raw-sinks.js';
import {
  computeRatios,
  cpuMicrosPerEvent,
  emptyResults,
  renderMarkdown,
  renderProfile,
  type FormatCatchUp,
  type Results,
} from './lib/report.js';
import {
  BenchService,
  imageNodeFlags,
  runIds,
  SINKS,
  type BenchSink,
  type ServiceRunIds,
} from './lib/service.js';
import {
  avroTwin,
  countMessages,
  describeSource,
  dropSource,
  prepareSource,
  ROOT,
  runGenerator,
  waitTopicsSettled,
  type BenchSource,
  type GenerateRun,
  waitConnectorRunning,
} from './lib/source.js';
import { answersWithin, elasticsearch, kafka, mongodb, postgres, sleep, stack } from './lib/stack.js';

const PHASES = [
  'raw',
  'catchup',
  'recovery',
  'alone',
  'avro',
  'pairs',
  'steady',
  'peers',
  'profile',
  'clients',
  'reindex',
  'chart',
] as const;
type Phase = (typeof PHASES)[number];

interface Settings {
  readonly mode: 'full' | 'smoke';
  readonly backlog: number;
  /**
   * Rows the raw passes write, in the generator's table shares (raw-sinks.ts): every row of the bench
   * database in a full run, up to a bound on the bench's own memory, which holds the rows and their
   * documents (261,402 rows took about 850 MiB of RSS).
   */
  readonly rawRows: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Rounds of a raw pass and a one-sink catch-up per sink (phase pairs, lib/pairs.ts). */
  readonly rounds: number;
  readonly topUpRate: number;
  readonly steadyRates: readonly number[];
  readonly steadySeconds: number;
  readonly profileSeconds: number;
  readonly catchUpTimeoutMs: number;
  readonly peerTimeoutMs: number;
  readonly phases: ReadonlySet<Phase>;
}

function settingsFrom(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      source: { type: 'string' },
      backlog: { type: 'string' },
      skip: { type: 'string', default: '' },
      peers: { type: 'boolean', default: false },
      out: { type: 'string' },
      'drop-source': { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      sinks: { type: 'string' },
      compiled: { type: 'boolean', default: false },
      rounds: { type: 'string' },
    },
  });
  const smoke = values.smoke;
  const skip = new Set(values.skip.split(',').filter(Boolean));
  for (const name of skip) {
    if (!PHASES.includes(name as Phase))
      throw new Error(`--skip ${name}: expected some of ${PHASES.join(',')}`);
  }
  const phases = new Set<Phase>(PHASES.filter((phase) => !skip.has(phase)));
  // The smoke run is for CI: no peers unless asked for, no Kafka client builds.
  if (smoke && !values.peers) phases.delete('peers');
  if (smoke) phases.delete('clients');
  if (smoke && values.rounds === undefined) phases.delete('pairs');
  const rounds = Number(values.rounds ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds ${values.rounds}: a whole number of at least 1`);
  const settings: Settings = {
    mode: smoke ? 'smoke' : 'full',
    backlog: values.backlog ? Number(values.backlog) : smoke ? 20_000 : 500_000,
    rawRows: smoke ? 5_000 : 400_000,
    batchSize: 1000,
    concurrency: 3,
    rounds,
    topUpRate: 20_000,
    steadyRates: smoke ? [200] : [1000, 5000],
    steadySeconds: smoke ? 15 : 30,
    profileSeconds: smoke ? 15 : 60,
    catchUpTimeoutMs: smoke ? 5 * 60_000 : 12 * 60_000,
    // The full backlog (~650 k events) takes a correct peer at ~2,000 events/s over 5 minutes; one
    // cut off by the timeout is checked against a half-written target and reported not correct.
    peerTimeoutMs: smoke ? 5 * 60_000 : 8 * 60_000,
    phases,
  };
  const sourceMode = (values.source ?? 'isolated') as 'isolated' | 'shared';
  if (!['isolated', 'shared'].includes(sourceMode)) throw new Error('--source: isolated or shared');
  const source = describeSource(sourceMode === 'shared' ? 'shared' : smoke ? 'smoke' : 'isolated');
  const out = values.out ?? join(ROOT, 'bench', 'results', ...(smoke ? ['smoke'] : []));
  const onlySinks = values.sinks ? values.sinks.split(',').filter(Boolean) : [...SINKS];
  for (const name of onlySinks) {
    if (!SINKS.includes(name as BenchSink))
      throw new Error(`--sinks ${name}: expected some of ${SINKS.join(',')}`);
  }
  return {
    compiled: values.compiled,
    onlySinks: onlySinks as BenchSink[],
    settings,
    source,
    out,
    dropSource: values['drop-source'],
    merge: values.merge,
    render: values.render,
  };
}

const started = performance.now();
async function log(line: string): Promise<void> {
  const load = await loadAverage().catch(() => [NaN, NaN, NaN]);
  const elapsed = ((performance.now() - started) / 1000).toFixed(0).padStart(5);
  console.log(`[bench ${elapsed}s load ${formatLoad(load)}] ${line}`);
}
const logSync = (line: string) => void log(line);

/**
 * The raw limits, the one-sink catch-ups and the peers are compared with each other: each starts on
 * a machine the measurement before it has left quiet (proc.ts, settle), not in its after-work.
 */
async function settleBeforeMeasuring(what: string): Promise<void> {
  const started = Date.now();
  const busy = await settle();
  await log(
    `${what}: started after ${((Date.now() - started) / 1000).toFixed(0)} s of settling, CPUs ${(busy * 100).toFixed(0)} % busy`,
  );
}

async function removeRunArtifacts(
  ids: ServiceRunIds,
  admin: Admin,
  es: EsClient,
  mongo: MongoClient | null,
): Promise<void> {
  try {
    const indices = (await es.cat.indices({ index: `${ids.indexPrefix}*`, format: 'json' })) as Array<{
      index?: string;
    }>;
    const names = indices.map((entry) => entry.index).filter((name): name is string => !!name);
    if (names.length > 0) await es.indices.delete({ index: names });
  } catch (error) {
    await log(`cleanup: indices ${ids.indexPrefix}*: ${String(error)}`);
  }
  await mongo
    ?.db(ids.mongoDatabase)
    .dropDatabase()
    .catch((error: unknown) => log(`cleanup: mongo ${ids.mongoDatabase}: ${String(error)}`));
  await admin
    .deleteGroups([`${ids.groupBase}.elasticsearch`, `${ids.groupBase}.mongodb`])
    .catch(() => undefined);
  const topics = await admin.listTopics().catch(() => [] as string[]);
  if (topics.includes(ids.deadLetterTopic))
    await admin.deleteTopics({ topics: [ids.deadLetterTopic] }).catch(() => undefined);
}

async function topUp(
  admin: Admin,
  source: BenchSource,
  settings: Settings,
): Promise<{ found: number; runs: GenerateRun[]; seconds: number }> {
  const t0 = performance.now();
  let count = await waitTopicsSettled(admin, source.topics, 3000, 120_000);
  const found = count.total;
  const runs: GenerateRun[] = [];
  let messagesPerEvent = 1.15;
  let rate = 3000;
  for (let round = 0; round < 10 && count.total < settings.backlog; round++) {
    const need = settings.backlog - count.total;
    const changes = need / messagesPerEvent;
    const durationS = Math.min(180, Math.max(3, changes / rate));
    // As fast as it goes, but no faster than what fills the gap in that time.
    const target = Math.ceil(Math.min(settings.topUpRate, (changes / durationS) * 1.05));
    await log(
      `top-up: ${formatNumber(count.total)} messages, ${formatNumber(need)} to go; generating at up to ${formatNumber(target)}/s for ${durationS.toFixed(0)} s`,
    );
    const run = await runGenerator(source, { rate: target, durationS, connections: 8 });
    runs.push(run);
    const next = await waitTopicsSettled(admin, source.topics, 3000, 600_000);
    if (run.events > 0) messagesPerEvent = Math.max(1, (next.total - count.total) / run.events);
    rate = Math.max(500, run.achievedRate);
    await log(
      `top-up: generator made ${formatNumber(run.events)} changes at ${formatNumber(run.achievedRate)}/s`,
    );
    count = next;
  }
  return { found, runs, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The sinks that answer a cheap request within 10 s, waiting up to `waitMs` for both. A sink that
 * stays silent (e.g. a wedged FerretDB) is left out of the run, with a note, rather than letting
 * every phase hang on it.
 */
async function reachableSinks(es: EsClient, mongo: MongoClient, waitMs: number): Promise<BenchSink[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const up: Record<BenchSink, boolean> = {
      elasticsearch: await answersWithin(es.cluster.health({ timeout: '5s' }), 10_000),
      mongodb: await answersWithin(mongo.db('admin').command({ ping: 1 }), 10_000),
    };
    const sinks = SINKS.filter((sink) => up[sink]);
    if (sinks.length === SINKS.length || Date.now() > deadline) return sinks;
    await log(`sinks: ${SINKS.filter((sink) => !up[sink]).join(', ')} not answering; waiting`);
    await sleep(15_000);
  }
}

async function findProfile(dir: string): Promise<string | null> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  let best: { file: string; size: number } | null = null;
  for (const file of files) {
    const size = (await stat(join(dir, file))).size;
    if (!best || size > best.size) best = { file: join(dir, file), size };
  }
  return best?.file ?? null;
}

function chartData(results: Results): { throughput: ThroughputBar[]; latency: LatencyBar[] } {
  const throughput: ThroughputBar[] = [];
  for (const raw of results.raw?.results ?? []) {
    throughput.push({
      system: `raw ${raw.sink} limit (docs/s)`,
      sink: raw.sink,
      perSecond: raw.docsPerSecond,
    });
  }
  for (const sink of results.catchUp?.sinks ?? []) {
    throughput.push({
      system: `cdc-fanout → ${sink.sink} (events/s)`,
      sink: sink.sink,
      perSecond: sink.eventsPerSecond,
    });
  }
  for (const outcome of results.peers?.outcomes ?? []) {
    if (outcome.result)
      throughput.push({
        system: `${outcome.peer} → ${outcome.sink} (events/s)`,
        sink: outcome.sink,
        perSecond: outcome.result.eventsPerSecond,
      });
  }
  const latency: LatencyBar[] = results.steady.flatMap((run) =>
    run.sinks.flatMap((sink) =>
      (['p50', 'p95', 'p99'] as const).flatMap((name) =>
        sink[name]
          ? [{ series: `${sink.sink} @ ${run.targetRate}/s`, quantile: name, ms: sink[name]!.value * 1000 }]
          : [],
      ),
    ),
  );
  return { throughput, latency };
}

/** Re-renders results.md and chart.png from results.json, without touching the stack. */
async function renderOnly(out: string): Promise<number> {
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
  results.ratios = computeRatios(results);
  const { throughput, latency } = chartData(results);
  const title = `cdc-fanout ${results.mode} bench, ${results.machine.nproc} cores, load ${formatLoad(results.machine.loadAverage)} at start`;
  const chart = await renderChart(join(out, 'chart.png'), title, throughput, latency);
  results.chart = { ok: chart.ok, error: chart.error };
  await writeFile(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(out, 'results.md'), renderMarkdown(results));
  await log(
    `rendered ${join(out, 'results.md')}${chart.ok ? ' and chart.png' : `; chart failed: ${chart.error}`}`,
  );
  return 0;
}

async function main(): Promise<number> {
  const {
    settings,
    source,
    out,
    dropSource: drop,
    merge,
    render,
    onlySinks,
    compiled,
  } = settingsFrom(process.argv.slice(2));
  if (render) return renderOnly(out);
  if (compiled) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    process.env.BENCH_COMPILED = '1';
  }
  await mkdir(out, { recursive: true });
  const machine = await describeMachine();
  const results = emptyResults(settings.mode, machine, new Date().toISOString());
  if (merge) {
    // Re-runs some phases into an earlier run's results (e.g. one a stack outage spoiled).
    try {
      const previous = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
      Object.assign(results, previous, { finishedAt: '' });
      results.notes.push(
        `Phases ${[...settings.phases].join(', ')} re-run at ${new Date().toISOString()} (load ${formatLoad(machine.loadAverage)}) and merged into this run's results.`,
      );
    } catch {
      await log('merge: no earlier results.json; starting fresh');
    }
  }
  results.serviceCommand = compiled
    ? ['node', ...(await imageNodeFlags()), 'dist/src/cli/main.js', 'start'].join(' ')
    : 'node --import tsx src/cli/main.ts start';
  const save = async () => {
    results.finishedAt = new Date().toISOString();
    results.ratios = computeRatios(results);
    await writeFile(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(out, 'results.md'), renderMarkdown(results));
  };
  await log(
    `${settings.mode} run: ${machine.nproc} cores, ${machine.cpuModel}; phases ${[...settings.phases].join(', ')}`,
  );

  const es = elasticsearch();
  const mongo = await mongodb();
  const kafkaClient = kafka();
  const admin = kafkaClient.admin();
  await admin.connect();
  await prepareSource(source, logSync);
  const pg = await postgres(source.postgresUrl);
  const stores = { pg, es, mongo };
  const sinks = (await reachableSinks(es, mongo, settings.mode === 'smoke' ? 30_000 : 5 * 60_000)).filter(
    (sink) => onlySinks.includes(sink),
  );
  for (const sink of onlySinks.filter((name) => !sinks.includes(name))) {
    results.notes.push(
      `${sink} did not answer a ping within 10 s (waited for it before starting): left out of this run.`,
    );
  }
  if (sinks.length === 0) throw new Error('neither sink answers');
  const versions = await describeVersions({ es, mongo: sinks.includes('mongodb') ? mongo : null, pg });
  // A merged run for some sinks keeps the versions the earlier run read from all of them.
  results.versions = merge ? { ...versions, ...results.versions } : versions;
  let exitCode = 0;
  try {
    // The backlog first: the raw phase builds its documents from the rows it leaves in Postgres.
    await log(
      `backlog: ${source.topics.join(', ')} in ${source.database}, target ${formatNumber(settings.backlog)}`,
    );
    const fill = await topUp(admin, source, settings);
    const backlog = await countMessages(admin, source.topics);
    if (!merge || !results.source)
      results.source = {
        mode: source.mode,
        database: source.database,
        topics: source.topics,
        target: settings.backlog,
        foundAtStart: fill.found,
        backlog: backlog.total,
        byTopic: backlog.byTopic,
        topUps: fill.runs,
        topUpSeconds: fill.seconds,
      };
    await log(`backlog: ${formatNumber(backlog.total)} messages`);
    await save();

    /** The raw passes' rows and settings, read once for phases raw and pairs. */
    let rawPlan: Omit<RawOptions, 'runId'> | null = null;
    const rawOptions = async (runId: string): Promise<RawOptions> => {
      if (rawPlan === null) {
        const rows = await loadSampleRows(pg, settings.rawRows);
        // As many documents as the backlog has events, onto as many rows as the catch-up ends with:
        // the ceiling is measured at the volume and collection sizes it bounds, long enough to pay
        // for the server's garbage collection. 60,000-document passes, a 3-second burst, had the
        // stand-in at 24-34 µs per document against 44-53 over the full rows and 45-70 in a catch-up.
        const overwrites = Math.max(1, Math.round(backlog.total / Math.max(rows.length, 1)) - 1);
        await log(
          `raw: ${formatNumber(rows.length)} documents per pass, an insert and ${overwrites} overwrite passes, batches of ${settings.batchSize}`,
        );
        rawPlan = {
          rows,
          batchSize: settings.batchSize,
          concurrency: settings.concurrency,
          passBudgetMs: settings.mode === 'smoke' ? 30_000 : 90_000,
          overwrites,
        };
      }
      return { ...rawPlan, runId };
    };
    const rawPass = (sink: BenchSink, options: RawOptions) =>
      sink === 'elasticsearch' ? rawElasticsearch(es, options) : rawMongo(mongo, options);
    const dropRawTargets = async (runId: string) => {
      const targets = rawTargets(runId);
      await es.indices.delete({ index: targets.indices, ignore_unavailable: true }).catch(() => undefined);
      if (sinks.includes('mongodb'))
        await mongo
          .db(targets.mongoDatabase)
          .dropDatabase()
          .catch(() => undefined);
    };
    /**
     * On a stack just started, the servers' JIT is cold: a first, unrecorded pass into targets of
     * its own (measured cold, Elasticsearch gave half its warm rate).
     */
    const warmUp = async (sink: BenchSink, runId: string) => {
      const options = await rawOptions(runId);
      await rawPass(sink, { ...options, rows: options.rows.slice(0, 20_000), overwrites: 1 });
    };
    const withCpuSplit = async (write: () => Promise<RawSinkResult>): Promise<RawSinkResult> => {
      const meter = await startStackMeter(BENCH_PROCESS, process.pid);
      const result = await write();
      return { ...result, cpuSplit: await meter.stop() };
    };

    if (settings.phases.has('raw')) {
      const rawId = runIds('raw');
      const warmUpId = runIds('raw-warm-up');
      try {
        const options = await rawOptions(rawId.runId);
        for (const sink of sinks) await warmUp(sink, warmUpId.runId);
        const load = await loadAverage();
        results.raw = { results: [], load, error: null };
        for (const sink of sinks) {
          await settleBeforeMeasuring(`raw: ${sink}`);
          const result = await withCpuSplit(() => rawPass(sink, options));
          await log(`raw: ${sink} ${formatNumber(result.docsPerSecond)} docs/s`);
          results.raw.results.push(result);
        }
      } catch (error) {
        results.raw = { results: [], load: await loadAverage(), error: String(error) };
        await log(`raw failed: ${String(error)}`);
      } finally {
        for (const runId of [rawId.runId, warmUpId.runId]) await dropRawTargets(runId);
      }
      await save();
    }

    /** Catches up the JSON topics, then their Avro twins, each with a fresh service and groups. */
    const measureAvro = async (twin: BenchSource) => {
      try {
        await waitConnectorRunning(twin.connector, 30_000);
        // The Avro connector may trail the JSON one: both sets must hold the same changes.
        const counts = [];
        for (const format of [source, twin]) {
          counts.push(await waitTopicsSettled(admin, format.topics, 5000, 600_000));
        }
        await log(
          `avro: ${formatNumber(counts[0]!.total)} JSON and ${formatNumber(counts[1]!.total)} Avro messages`,
        );
        if (counts[0]!.total !== counts[1]!.total)
          results.notes.push(
            `Avro against JSON: the topic sets held ${formatNumber(counts[0]!.total)} (JSON) and ${formatNumber(counts[1]!.total)} (Avro) messages; events/s and CPU per event compare rates, not totals.`,
          );
        const runs: FormatCatchUp[] = [];
        results.avro = { database: source.database, registryUrl: stack.registryUrl, runs };
        results.avroError = null;
        for (const [index, format] of (['json', 'avro'] as const).entries()) {
          const topics = [source, twin][index]!;
          const formatIds = runIds(format);
          try {
            await log(`avro: ${format} catch-up of ${topics.topics.join(', ')} (${formatIds.groupBase})`);
            const run = await catchUp({
              admin,
              source: topics,
              ids: formatIds,
              backlog: counts[index]!,
              stores,
              timeoutMs: settings.catchUpTimeoutMs,
              sinks,
              log: logSync,
              // JSON without a registry, so that it cannot be doing registry work.
              env: { REGISTRY_URL: format === 'avro' ? stack.registryUrl : '' },
            });
            await run.service.stop();
            runs.push({ format, connector: topics.connector, topics: topics.topics, result: run.result });
            await log(
              `avro: ${format} ${run.result.sinks.map((sink) => `${sink.sink} ${formatNumber(sink.eventsPerSecond)} events/s`).join(', ')}; cpu ${run.result.cpuSeconds.toFixed(1)} s = ${cpuMicrosPerEvent(run.result).toFixed(1)} µs/event; verify ${run.result.verify?.ok ? 'ok' : 'NOT OK'}`,
            );
            if (!run.result.verify?.ok || run.result.deadLetters > 0) {
              exitCode = 1;
              for (const line of run.result.verify?.lines ?? []) await log(`  ${line}`);
            }
          } finally {
            await removeRunArtifacts(formatIds, admin, es, sinks.includes('mongodb') ? mongo : null);
            await save();
          }
        }
      } catch (error) {
        results.avroError = error instanceof Error ? (error.stack ?? error.message) : String(error);
        exitCode = 1;
        await log(`avro failed: ${results.avroError}`);
      }
    };

    /** One service with only `sink` catches up the backlog (fresh groups and targets, removed after). */
    const catchUpAlone = async (sink: BenchSink, label: string): Promise<CatchUpResult> => {
      const aloneIds = runIds(label);
      try {
        await settleBeforeMeasuring(`${label}: ${sink}`);
        await log(`${label}: ${sink} catch-up by a service with only that sink (${aloneIds.groupBase})`);
        const run = await catchUp({
          admin,
          source,
          ids: aloneIds,
          backlog,
          stores,
          timeoutMs: settings.catchUpTimeoutMs,
          sinks: [sink],
          log: logSync,
        });
        await run.service.stop();
        const own = run.result.sinks[0]!;
        await log(
          `${label}: ${sink} ${formatNumber(own.eventsPerSecond)} events/s (${formatNumber(own.events)} in ${own.seconds.toFixed(1)} s), cpu ${cpuMicrosPerEvent(run.result).toFixed(1)} µs/event, peak rss ${(run.result.peakRssBytes / 2 ** 20).toFixed(0)} MiB, verify ${run.result.verify?.ok ? 'ok' : 'NOT OK'}`,
        );
        if (!run.result.verify?.ok) {
          exitCode = 1;
          for (const line of run.result.verify?.lines ?? []) await log(`  ${line}`);
        }
        return run.result;
      } finally {
        await removeRunArtifacts(aloneIds, admin, es, sink === 'mongodb' ? mongo : null);
      }
    };

    /**
     * The catch-up again, one sink per service: what the raw limit and the peers measure (one sink
     * writing, nothing else consuming), where section 2 has both sinks share the process and the
     * machine.
     */
    const catchUpEachAlone = async () => {
      results.catchUpAlone = [];
      results.catchUpAloneError = null;
      for (const sink of sinks) {
        try {
          results.catchUpAlone.push(await catchUpAlone(sink, `alone-${sink}`));
        } catch (error) {
          results.catchUpAloneError = error instanceof Error ? (error.stack ?? error.message) : String(error);
          exitCode = 1;
          await log(`alone: ${sink} failed: ${results.catchUpAloneError}`);
        } finally {
          await save();
        }
      }
    };

    /** Per sink, `settings.rounds` times: a raw pass, then a one-sink catch-up (lib/pairs.ts). */
    const measurePairs = async () => {
      results.pairs = [];
      results.pairsError = null;
      try {
        for (const sink of sinks) {
          const pairs: PairedRatios = { sink, rounds: [] };
          results.pairs.push(pairs);
          if (!settings.phases.has('raw')) {
            const warmUpId = runIds(`pair-warm-up-${sink}`);
            await warmUp(sink, warmUpId.runId).finally(() => dropRawTargets(warmUpId.runId));
          }
          for (let round = 1; round <= settings.rounds; round++) {
            const rawId = runIds(`pair-raw-${sink}-${round}`);
            let raw: RawSinkResult;
            try {
              await settleBeforeMeasuring(`pairs: round ${round} raw ${sink}`);
              raw = await withCpuSplit(async () => rawPass(sink, await rawOptions(rawId.runId)));
            } finally {
              await dropRawTargets(rawId.runId);
            }
            await log(`pairs: round ${round} raw ${sink} ${formatNumber(raw.docsPerSecond)} docs/s`);
            try {
              pairs.rounds.push({ round, raw, alone: await catchUpAlone(sink, `pair-${sink}-${round}`) });
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              pairs.rounds.push({ round, raw, alone: null, error: message });
              exitCode = 1;
              await log(`pairs: round ${round} catch-up ${sink} failed: ${message}`);
            }
            const ratio = roundRatio(pairs.rounds[pairs.rounds.length - 1]!);
            await log(`pairs: round ${round} ${sink} ratio ${ratio === null ? '–' : ratio.toFixed(2)}`);
            await save();
          }
        }
      } catch (error) {
        results.pairsError = error instanceof Error ? (error.stack ?? error.message) : String(error);
        exitCode = 1;
        await log(`pairs failed: ${results.pairsError}`);
      } finally {
        await save();
      }
    };

    let catchUpResult: CatchUpResult | null = null;
    const ids = runIds('fanout');
    let service: BenchService | null = null;
    /** The backlog again from offset 0 (new groups) into the documents the catch-up wrote. */
    const recover = async (written: ServiceRunIds) => {
      const replayIds = {
        ...written,
        runId: `${written.runId}-replay`,
        groupBase: `${written.groupBase}-replay`,
      };
      await log(
        `recovery: new groups ${replayIds.groupBase}.<sink> replay the backlog; every write is stale`,
      );
      try {
        const replay = await catchUp({
          admin,
          source,
          ids: replayIds,
          backlog,
          stores,
          timeoutMs: settings.catchUpTimeoutMs,
          sinks,
          log: logSync,
        });
        await replay.service.stop();
        results.recovery = replay.result;
        results.recoveryReference = catchUpResult;
        for (const sink of replay.result.sinks) {
          await log(
            `recovery: ${sink.sink} ${formatNumber(sink.eventsPerSecond)} events/s (${formatNumber(sink.events)} in ${sink.seconds.toFixed(1)} s)`,
          );
        }
        if (!replay.result.verify?.ok) exitCode = 1;
      } catch (error) {
        results.recoveryError = error instanceof Error ? (error.stack ?? error.message) : String(error);
        exitCode = 1;
        await log(`recovery failed: ${results.recoveryError}`);
      } finally {
        await admin
          .deleteGroups([`${replayIds.groupBase}.elasticsearch`, `${replayIds.groupBase}.mongodb`])
          .catch(() => undefined);
        await save();
      }
    };
    try {
      if (settings.phases.has('catchup') || settings.phases.has('steady')) {
        await log(
          `catch-up: service with groups ${ids.groupBase}.<sink> on ${formatNumber(backlog.total)} events`,
        );
        const run = await catchUp({
          admin,
          source,
          ids,
          backlog,
          stores,
          timeoutMs: settings.catchUpTimeoutMs,
          sinks,
          log: logSync,
        });
        service = run.service;
        catchUpResult = run.result;
        results.catchUp = catchUpResult;
        for (const sink of catchUpResult.sinks) {
          await log(
            `catch-up: ${sink.sink} ${formatNumber(sink.eventsPerSecond)} events/s (${formatNumber(sink.events)} in ${sink.seconds.toFixed(1)} s)`,
          );
        }
        await log(
          `catch-up: cpu ${catchUpResult.cpuSeconds.toFixed(1)} s, peak rss ${(catchUpResult.peakRssBytes / 2 ** 20).toFixed(0)} MiB, verify ${catchUpResult.verify?.ok ? 'ok' : 'NOT OK'}`,
        );
        if (!catchUpResult.verify?.ok) {
          exitCode = 1;
          for (const line of catchUpResult.verify?.lines ?? []) await log(`  ${line}`);
        }
        await save();
        // Peers read the same backlog, so nothing may be added to it until they ran.
        await service.stop();
        if (settings.phases.has('recovery')) await recover(ids);
      }
      if (settings.phases.has('alone') && sinks.length > 1) await catchUpEachAlone();
      if (settings.phases.has('pairs')) await measurePairs();

      if (settings.phases.has('peers')) {
        // The peers read their endpoints (POSTGRES_URL for the correctness check) when loaded.
        const saved = {
          POSTGRES_URL: process.env.POSTGRES_URL,
          DEBEZIUM_TOPIC_PREFIX: process.env.DEBEZIUM_TOPIC_PREFIX,
        };
        process.env.POSTGRES_URL = source.postgresUrl;
        process.env.DEBEZIUM_TOPIC_PREFIX = source.topicPrefix;
        try {
          const discovered = await discoverPeers();
          await log(`peers: ${discovered.note}`);
          results.peers = { note: discovered.note, outcomes: [], load: await loadAverage() };
          for (const peer of discovered.peers) {
            if (peer.sink && !sinks.includes(peer.sink as BenchSink)) {
              results.peers.outcomes.push({
                peer: peer.name ?? 'peer',
                sink: peer.sink,
                available: false,
                status: `not available: ${peer.sink} did not answer at the start of this run`,
                result: null,
                installSeconds: 0,
              });
              continue;
            }
            await settleBeforeMeasuring(`peers: ${peer.name ?? 'peer'}`);
            const runId = `bench-peer-${Date.now().toString(36)}`;
            await log(`peers: ${peer.name ?? 'peer'} (${runId})`);
            const outcome = await runPeer(
              peer,
              {
                runId,
                topics: source.topics,
                expectedEvents: backlog.total,
                timeoutMs: settings.peerTimeoutMs,
              },
              { installMs: 20 * 60_000 },
            );
            results.peers.outcomes.push(outcome);
            await log(
              `peers: ${outcome.peer} ${outcome.status}${outcome.result ? ` ${formatNumber(outcome.result.eventsPerSecond)} events/s, correct=${outcome.result.correct}` : ''}`,
            );
            await save();
          }
        } finally {
          for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
          }
        }
      }

      // A sink that did not drain its backlog would measure its backlog, not its latency.
      const steadySinks = catchUpResult
        ? catchUpResult.sinks.filter((sink) => sink.drained).map((sink) => sink.sink)
        : [];
      for (const sink of catchUpResult?.sinks ?? []) {
        if (!sink.drained)
          results.notes.push(
            `${sink.sink} did not drain the backlog within the catch-up window (${(settings.catchUpTimeoutMs / 60_000).toFixed(0)} min): its events/s is over that window, and it is left out of the steady state and the profile.`,
          );
      }
      if (settings.phases.has('steady') && catchUpResult && steadySinks.length > 0) {
        // The same groups and targets as the catch-up: the service resumes where it committed.
        service = new BenchService(serviceEnv(source, ids, steadySinks));
        await service.start();
        const caughtUp = await waitCaughtUp(service, admin, ids, source, 120_000, steadySinks);
        if (!caughtUp)
          results.notes.push('steady state: the restarted service did not report zero lag within 120 s.');
        for (const rate of settings.steadyRates) {
          await log(`steady: generator at ${formatNumber(rate)}/s for ${settings.steadySeconds} s`);
          const steady = await steadyState({
            admin,
            kafka: kafkaClient,
            source,
            ids,
            service,
            rate,
            durationS: settings.steadySeconds,
            connections: rate > 2000 ? 8 : 4,
            sinks: steadySinks,
            log: logSync,
          });
          results.steady.push(steady);
          if (steady.baseline) {
            const b = steady.baseline;
            await log(
              `steady ${rate}/s: baseline (source commit to a plain consumer) p50 ${b.p50?.toFixed(3)} p95 ${b.p95?.toFixed(3)} p99 ${b.p99?.toFixed(3)} s over ${b.events} events`,
            );
          }
          for (const sink of steady.sinks) {
            await log(
              `steady ${rate}/s: ${sink.sink} achieved ${formatNumber(steady.generator?.achievedRate)}/s, p50 ${sink.p50?.value.toFixed(3)} p95 ${sink.p95?.value.toFixed(3)} p99 ${sink.p99?.value.toFixed(3)} s`,
            );
          }
          await save();
        }
        const samples = await service.metrics();
        const bounds = [...histogramBuckets(samples, LATENCY_METRIC).keys()]
          .filter(Number.isFinite)
          .sort((a, b) => a - b);
        const coarse = results.steady.flatMap((run) =>
          run.sinks
            .filter(
              (sink) =>
                sink.p99 &&
                sink.p99.upper !== Infinity &&
                sink.p99.upper - sink.p99.lower > 0.5 * sink.p99.value,
            )
            .map(
              (sink) =>
                `${sink.sink} at ${run.targetRate}/s: p99 lies in (${sink.p99!.lower}, ${sink.p99!.upper}] s`,
            ),
        );
        results.latencyBuckets = {
          bounds,
          note:
            coarse.length > 0
              ? `Too coarse for a faithful p99: ${coarse.join('; ')} — the estimate is a linear interpolation across a bucket wider than half its value. Finer buckets below 1 s (e.g. 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60, 300) would pin it to ±12-25 ms.`
              : 'Every p99 fell in a bucket narrower than half its value: the estimates are tight enough.',
        };
        await log('steady: verifying both sinks against Postgres');
        results.steadyVerify = await verifyStores(stores, serviceEnv(source, ids, steadySinks), steadySinks);
        if (!results.steadyVerify.ok) {
          exitCode = 1;
          for (const line of results.steadyVerify.lines) await log(`  ${line}`);
        }
        await save();
      }
    } catch (error) {
      results.catchUpError = error instanceof Error ? (error.stack ?? error.message) : String(error);
      exitCode = 1;
      await log(`cdc-fanout phases failed: ${results.catchUpError}`);
      if (service) await log(`service output:\n${service.output.slice(-20).join('\n')}`);
    } finally {
      if (service) await service.stop();
      await removeRunArtifacts(ids, admin, es, sinks.includes('mongodb') ? mongo : null);
      await save();
    }

    if (settings.phases.has('avro')) {
      const twin = avroTwin(source);
      const registryUp = await answersWithin(
        fetch(`${stack.registryUrl}/subjects`, { signal: AbortSignal.timeout(5000) }).then((response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
        }),
        6000,
      );
      if (!twin || !registryUp) {
        const why = !twin
          ? 'needs --source shared (only the stack connectors cdc-inventory and cdc-inventory-avro capture the same history)'
          : `no schema registry answers at ${stack.registryUrl} (stack/up.sh registry)`;
        results.notes.push(`Avro against JSON (section 2c) not run: ${why}.`);
        await log(`avro: skipped, ${why}`);
      } else {
        await measureAvro(twin);
        await save();
      }
    }

    if (settings.phases.has('profile')) {
      const profIds = runIds('prof');
      const dir = await mkdtemp(join(tmpdir(), 'cdc-fanout-cpuprof-'));
      const load = await loadAverage();
      const profiled = new BenchService(serviceEnv(source, profIds, sinks), [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
      ]);
      try {
        await log(`profile: catch-up under --cpu-prof for up to ${settings.profileSeconds} s (${dir})`);
        const t0 = performance.now();
        await profiled.start();
        const ends = (await countMessages(admin, source.topics)).ends;
        const deadline = Date.now() + settings.profileSeconds * 1000;
        let events = 0;
        while (Date.now() < deadline && profiled.running) {
          await sleep(1000);
          const samples = await profiled.metrics().catch(() => null);
          if (samples) events = sumOf(samples, 'cdc_fanout_events_consumed_total');
          const total = Object.values(ends).reduce(
            (sum, partitions) => sum + Object.values(partitions).reduce((s, end) => s + Number(end), 0),
            0,
          );
          if (events >= sinks.length * total) break;
        }
        await profiled.stop();
        const seconds = (performance.now() - t0) / 1000;
        const file = await findProfile(dir);
        if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
        const summary = summariseProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, ROOT, 30);
        results.profile = { seconds, file, summary, error: null, load };
        await writeFile(join(out, 'profile.md'), renderProfile(summary, { seconds, load, file, events }));
        await log(
          `profile: ${summary.functions
            .slice(0, 3)
            .map((f) => `${f.functionName} ${(f.share * 100).toFixed(1)}%`)
            .join(', ')}`,
        );
      } catch (error) {
        results.profile = { seconds: 0, file: dir, summary: null, error: String(error), load };
        await log(`profile failed: ${String(error)}`);
      } finally {
        await profiled.stop();
        await removeRunArtifacts(profIds, admin, es, sinks.includes('mongodb') ? mongo : null);
      }
      await save();
    }

    if (settings.phases.has('clients')) {
      const load = await loadAverage();
      const runId = `bench-clients-${Date.now().toString(36)}`;
      const topic = source.topics[0]!;
      try {
        const expected = (await countMessages(admin, [topic])).total;
        const report = await evaluateKafkaClients(
          { brokers: stack.kafkaBrokers, topic, expected, runId, timeoutMs: 10 * 60_000 },
          logSync,
        );
        results.kafkaClients = { report, error: null, load };
        for (const client of report.results) {
          await log(
            `clients: ${client.client} ${client.available ? `${formatNumber(client.messagesPerSecond)} messages/s` : `not available: ${client.note.split('\n')[0]}`}`,
          );
        }
      } catch (error) {
        results.kafkaClients = { report: null, error: String(error), load };
      } finally {
        await admin.deleteGroups(clientGroups(runId)).catch(() => undefined);
      }
      await save();
    }

    if (settings.phases.has('reindex')) {
      const rebuildIds = runIds('rebuild');
      try {
        const table = await largestTable(pg);
        const discoveryMs = 5000;
        const env = {
          ...serviceEnv(source, rebuildIds, sinks),
          ELASTICSEARCH_REINDEX_DISCOVERY_MS: String(discoveryMs),
          MONGODB_REINDEX_DISCOVERY_MS: String(discoveryMs),
        };
        // A run for some sinks keeps the figures an earlier run measured for the others.
        const earlier = results.rebuild?.table === table.table ? results.rebuild : null;
        const at = new Date().toISOString();
        results.rebuild = {
          table: table.table,
          rows: table.rows,
          discoveryMs,
          steps: (earlier?.steps ?? []).filter((step) => !sinks.includes(step.sink)),
          notes: [
            ...(earlier?.notes ?? []),
            `${sinks.join(' and ')}: measured ${at}${merge ? ', in a separate run merged into these results' : ''} (load ${formatLoad(await loadAverage())} at its start).`,
          ],
        };
        await log(`reindex: ${table.table} (${formatNumber(table.rows)} rows), resync then reindex`);
        const plan: Array<Pick<RebuildStep, 'command' | 'into'>> = [
          { command: 'resync', into: 'empty' },
          { command: 'resync', into: 'written' },
          { command: 'reindex', into: 'written' },
        ];
        for (const sink of sinks) {
          for (const step of plan) {
            const done = await rebuildStep({ sink, ...step }, table, env);
            results.rebuild.steps.push(done);
            await log(
              `reindex: ${sink} ${step.command} into ${step.into} ${done.seconds.toFixed(1)} s${done.exitCode === 0 ? `, ${formatNumber(done.rowsPerSecond)} rows/s` : `, exit ${done.exitCode}: ${done.output.join(' / ')}`}`,
            );
            await save();
          }
        }
      } catch (error) {
        results.rebuildError = error instanceof Error ? (error.stack ?? error.message) : String(error);
        exitCode = 1;
        await log(`reindex failed: ${results.rebuildError}`);
      } finally {
        await removeRunArtifacts(rebuildIds, admin, es, sinks.includes('mongodb') ? mongo : null);
        await save();
      }
    }

    if (settings.phases.has('chart')) {
      const { throughput, latency } = chartData(results);
      const title = `cdc-fanout ${settings.mode} bench, ${machine.nproc} cores, load ${formatLoad(machine.loadAverage)} at start`;
      const chart = await renderChart(join(out, 'chart.png'), title, throughput, latency);
      results.chart = { ok: chart.ok, error: chart.error };
      await log(chart.ok ? `chart: ${join(out, 'chart.png')}` : `chart failed: ${chart.error}`);
    }

    if (drop) await dropSource(source, admin, logSync);
  } finally {
    await save();
    await pg.end().catch(() => undefined);
    // A wedged server would hold close() forever.
    await answersWithin(mongo.close(), 5000);
    await es.close().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  await log(`results in ${out}`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
