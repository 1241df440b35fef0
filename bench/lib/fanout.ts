// cdc-fanout measured as a user runs it: the service as a child process with fresh consumer
// groups, index prefix and Mongo database; catch-up on a backlog (events per second per sink until
// its group's committed offsets reach the topics' ends, CPU time, peak RSS, then verify), and
// steady state under the generator (end-to-end latency quantiles from histogram bucket deltas).
import type { Admin, Kafka } from 'kafkajs';
import { BaselineProbe, type BaselineLatency } from './baseline.js';
import { verifyAll, type Stores } from '../../test/integration/support/converge.js';
import type { TableReport } from '../../src/verify/verify.js';
import { SERVICE_PROCESS, startStackMeter, type CpuSplit } from './cpu-split.js';
import { loadAverage, UsageSampler } from './proc.js';
import {
  bucketDeltas,
  histogramBuckets,
  quantileFromBuckets,
  sumOf,
  type Quantile,
  type Sample,
} from './prom.js';
import { BenchService, groupLag, SINKS, type BenchSink, type ServiceRunIds } from './service.js';
import {
  countMessages,
  DEMO_TABLES,
  runGenerator,
  waitTopicsSettled,
  type BenchSource,
  type GenerateRun,
  type TopicCount,
} from './source.js';
import { sleep } from './stack.js';

export function serviceEnv(
  source: BenchSource,
  ids: ServiceRunIds,
  sinks: readonly BenchSink[] = SINKS,
): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    SINKS: sinks.join(','),
    KAFKA_GROUP_ID_BASE: ids.groupBase,
    ELASTICSEARCH_INDEX_PREFIX: ids.indexPrefix,
    MONGODB_DATABASE: ids.mongoDatabase,
    DEAD_LETTER_TOPIC: ids.deadLetterTopic,
    DEBEZIUM_TOPIC_PREFIX: source.topicPrefix,
    KAFKA_TOPICS: source.topics.join(','),
    KAFKA_TOPIC_REFRESH_MS: '0',
    KAFKA_FROM_BEGINNING: 'true',
    POSTGRES_URL: source.postgresUrl,
  };
}

export interface VerifySummary {
  readonly ok: boolean;
  readonly seconds: number;
  readonly lines: string[];
}

export function summariseReports(reports: readonly TableReport[], seconds: number): VerifySummary {
  return {
    ok: reports.length > 0 && reports.every((report) => report.ok),
    seconds,
    lines: reports.map(
      (r) =>
        `${r.sink} ${r.table}: rows=${r.sourceRows} docs=${r.sinkDocuments} missing=${r.missing.count} extra=${r.extra.count} different=${r.different.count}${r.ok ? '' : ` e.g. ${JSON.stringify(r.different.examples[0] ?? r.missing.ids[0] ?? r.extra.ids[0] ?? '')}`}`,
    ),
  };
}

export async function verifyStores(
  stores: Stores,
  env: Record<string, string>,
  sinks: readonly BenchSink[] = SINKS,
): Promise<VerifySummary> {
  const started = performance.now();
  // env's SINKS names the sinks the service ran with; verify follows it.
  const reports = await verifyAll(stores, { ...env, SINKS: sinks.join(',') }, DEMO_TABLES);
  return summariseReports(reports, (performance.now() - started) / 1000);
}

export interface CatchUpSink {
  readonly sink: BenchSink;
  /** Events the pipeline consumed (cdc_fanout_events_consumed_total), tombstones included. */
  readonly events: number;
  /** Documents the sink acknowledged (written + stale): after coalescing, without tombstones. */
  readonly writes: number;
  /** From the pipeline's first consumed event to its group's committed offsets reaching the end. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly writesPerSecond: number;
  /** Spawn to drained, start-up included: how the peers are timed (connector registered to done). */
  readonly secondsFromSpawn: number;
  readonly eventsPerSecondFromSpawn: number;
  readonly drained: boolean;
  /** Its counters stopped moving (the sink stopped answering): not waited for further. */
  readonly stalled: boolean;
}

export interface CatchUpResult {
  readonly runId: string;
  readonly backlog: number;
  /** Spawn to both groups drained. */
  readonly wallSeconds: number;
  /** Spawn to the first event consumed by either pipeline (tsx compile, connect, group join). */
  readonly startupSeconds: number;
  readonly cpuSeconds: number;
  /** CPU seconds per wall second while catching up (1.0 = one core busy). */
  readonly cores: number;
  readonly peakRssBytes: number;
  /** The same window's CPU by process: this service, each stack component, the machine. */
  readonly cpuSplit?: CpuSplit;
  readonly sinks: CatchUpSink[];
  readonly deadLetters: number;
  readonly verify: VerifySummary | null;
  readonly load: { readonly start: number[]; readonly end: number[] };
}

interface Watch {
  firstEvent: Partial<Record<BenchSink, number>>;
  drainedAt: Partial<Record<BenchSink, number>>;
  /** Sinks given up on: neither their consumed count nor their lag moved for STALL_MS. */
  stalled: Partial<Record<BenchSink, number>>;
  lastSamples: Sample[];
}

/** A pipeline whose counters do not move for this long is reported as stalled, not waited for. */
const STALL_MS = 180_000;

/** Polls /metrics and the groups' lag every `intervalMs` until both groups are drained. */
async function watchUntilDrained(
  service: BenchService,
  admin: Admin,
  ids: ServiceRunIds,
  source: BenchSource,
  ends: TopicCount['ends'],
  timeoutMs: number,
  sinks: readonly BenchSink[],
  intervalMs = 250,
  onProgress?: (line: string) => void,
): Promise<Watch> {
  const watch: Watch = { firstEvent: {}, drainedAt: {}, stalled: {}, lastSamples: [] };
  const deadline = Date.now() + timeoutMs;
  let nextLog = Date.now() + 10_000;
  const progress = new Map<BenchSink, { key: string; at: number }>();
  while (Date.now() < deadline && service.running) {
    const samples = await service.metrics().catch(() => null);
    const now = performance.now();
    if (samples) {
      watch.lastSamples = samples;
      for (const sink of sinks) {
        if (
          watch.firstEvent[sink] === undefined &&
          sumOf(samples, 'cdc_fanout_events_consumed_total', { sink }) > 0
        )
          watch.firstEvent[sink] = now;
      }
    }
    for (const sink of sinks) {
      if (watch.drainedAt[sink] !== undefined || watch.stalled[sink] !== undefined) continue;
      const lag = await groupLag(admin, `${ids.groupBase}.${sink}`, source.topics, ends).catch(() => -1);
      if (lag === 0) watch.drainedAt[sink] = performance.now();
      const key = `${lag}/${sumOf(watch.lastSamples, 'cdc_fanout_events_consumed_total', { sink })}`;
      const last = progress.get(sink);
      if (!last || last.key !== key) progress.set(sink, { key, at: Date.now() });
      else if (Date.now() - last.at > STALL_MS) {
        watch.stalled[sink] = performance.now();
        onProgress?.(`${sink} made no progress for ${STALL_MS / 1000} s: given up on`);
      }
    }
    if (sinks.every((sink) => watch.drainedAt[sink] !== undefined || watch.stalled[sink] !== undefined))
      break;
    if (onProgress && Date.now() >= nextLog) {
      nextLog += 10_000;
      onProgress(
        sinks
          .map((sink) => `${sink} ${sumOf(watch.lastSamples, 'cdc_fanout_events_consumed_total', { sink })}`)
          .join(', '),
      );
    }
    await sleep(intervalMs);
  }
  return watch;
}

export async function catchUp(options: {
  readonly admin: Admin;
  readonly source: BenchSource;
  readonly ids: ServiceRunIds;
  readonly backlog: TopicCount;
  readonly stores: Stores;
  readonly timeoutMs: number;
  readonly sinks: readonly BenchSink[];
  readonly log: (line: string) => void;
  /** Settings on top of serviceEnv's, e.g. REGISTRY_URL for Avro topics. */
  readonly env?: Record<string, string>;
}): Promise<{ result: CatchUpResult; service: BenchService }> {
  const { admin, source, ids, backlog, log, sinks: active } = options;
  const env = { ...serviceEnv(source, ids, active), ...options.env };
  const service = new BenchService(env);
  const loadStart = await loadAverage();
  const spawned = performance.now();
  await service.start();
  const sampler = new UsageSampler(service.pid, 250);
  sampler.start();
  const meter = await startStackMeter(SERVICE_PROCESS, service.pid);
  const watch = await watchUntilDrained(
    service,
    admin,
    ids,
    source,
    backlog.ends,
    options.timeoutMs,
    active,
    250,
    (line) => log(`  catch-up: consumed ${line}`),
  );
  await sampler.stop();
  const cpuSplit = await meter.stop();
  const done = performance.now();
  const loadEnd = await loadAverage();
  const samples = (await service.metrics().catch(() => null)) ?? watch.lastSamples;
  const sinks: CatchUpSink[] = active.map((sink) => {
    const first = watch.firstEvent[sink] ?? spawned;
    const drained = watch.drainedAt[sink];
    const seconds = ((drained ?? done) - first) / 1000;
    const events = sumOf(samples, 'cdc_fanout_events_consumed_total', { sink });
    const writes =
      sumOf(samples, 'cdc_fanout_sink_writes_total', { sink, result: 'written' }) +
      sumOf(samples, 'cdc_fanout_sink_writes_total', { sink, result: 'stale' });
    return {
      sink,
      events,
      writes,
      seconds,
      eventsPerSecond: events / Math.max(seconds, 1e-3),
      writesPerSecond: writes / Math.max(seconds, 1e-3),
      secondsFromSpawn: ((drained ?? done) - spawned) / 1000,
      eventsPerSecondFromSpawn: events / Math.max(((drained ?? done) - spawned) / 1000, 1e-3),
      drained: drained !== undefined,
      stalled: watch.stalled[sink] !== undefined,
    };
  });
  const firstAny = Math.min(...active.map((sink) => watch.firstEvent[sink] ?? Infinity));
  const wallSeconds = (done - spawned) / 1000;
  const busySeconds = (done - (Number.isFinite(firstAny) ? firstAny : spawned)) / 1000;
  log(`  catch-up done in ${wallSeconds.toFixed(1)} s; verifying both sinks against Postgres`);
  const drainedSinks = sinks.filter((sink) => sink.drained).map((sink) => sink.sink);
  // The caller stops the service it is handed; a verify that throws (a store that stopped
  // answering) would otherwise leave it running, consuming, under every later measurement.
  const verify =
    drainedSinks.length > 0
      ? await verifyStores(options.stores, env, drainedSinks).catch(async (error: unknown) => {
          await service.stop();
          throw error;
        })
      : null;
  return {
    service,
    result: {
      runId: ids.runId,
      backlog: backlog.total,
      wallSeconds,
      startupSeconds: Number.isFinite(firstAny) ? (firstAny - spawned) / 1000 : wallSeconds,
      cpuSeconds: sampler.cpuSeconds,
      cores: sampler.cpuSeconds / Math.max(busySeconds, 1e-3),
      peakRssBytes: sampler.peakRssBytes,
      cpuSplit,
      sinks,
      deadLetters: sumOf(samples, 'cdc_fanout_dead_letters_total'),
      verify,
      load: { start: loadStart, end: loadEnd },
    },
  };
}

export interface SteadySink {
  readonly sink: BenchSink;
  readonly observations: number;
  readonly consumedPerSecond: number;
  readonly p50: Quantile | null;
  readonly p95: Quantile | null;
  readonly p99: Quantile | null;
}

export interface SteadyResult {
  readonly targetRate: number;
  readonly durationS: number;
  readonly generator: GenerateRun | null;
  readonly generatorError: string | null;
  /** The generator reached at least 90 % of the target rate. */
  readonly sustained: boolean;
  readonly sinks: SteadySink[];
  readonly drained: boolean;
  /** Source commit to a plain kafkajs consumer (Debezium + Kafka): the floor under the sinks' figures. */
  readonly baseline: BaselineLatency | null;
  readonly load: { readonly start: number[]; readonly end: number[] };
}

export const LATENCY_METRIC = 'cdc_fanout_end_to_end_latency_seconds';

export async function steadyState(options: {
  readonly admin: Admin;
  readonly kafka: Kafka;
  readonly source: BenchSource;
  readonly ids: ServiceRunIds;
  readonly service: BenchService;
  readonly rate: number;
  readonly durationS: number;
  readonly connections: number;
  readonly sinks: readonly BenchSink[];
  readonly log: (line: string) => void;
}): Promise<SteadyResult> {
  const { admin, source, ids, service, rate, durationS, sinks: active } = options;
  const probe = new BaselineProbe(options.kafka, `${ids.groupBase}.baseline-${rate}`, source.topics);
  await probe.start();
  const loadStart = await loadAverage();
  const before = await service.metrics();
  let generator: GenerateRun | null = null;
  let generatorError: string | null = null;
  try {
    generator = await runGenerator(source, { rate, durationS, connections: options.connections });
  } catch (error) {
    generatorError = error instanceof Error ? error.message : String(error);
  }
  const settled = await waitTopicsSettled(admin, source.topics, 2000, 60_000);
  const watch = await watchUntilDrained(service, admin, ids, source, settled.ends, 120_000, active, 250);
  const drained = active.every((sink) => watch.drainedAt[sink] !== undefined);
  const after = await service.metrics();
  const loadEnd = await loadAverage();
  const baseline = await probe.stop();
  await admin.deleteGroups([probe.groupId]).catch(() => undefined);
  const elapsed = (generator?.elapsedMs ?? durationS * 1000) / 1000;
  const sinks = active.map((sink) => {
    const deltas = bucketDeltas(
      histogramBuckets(before, LATENCY_METRIC, { sink }),
      histogramBuckets(after, LATENCY_METRIC, { sink }),
    );
    const consumed =
      sumOf(after, 'cdc_fanout_events_consumed_total', { sink }) -
      sumOf(before, 'cdc_fanout_events_consumed_total', { sink });
    return {
      sink,
      observations: deltas.reduce((sum, bucket) => sum + bucket.count, 0),
      consumedPerSecond: consumed / elapsed,
      p50: quantileFromBuckets(deltas, 0.5),
      p95: quantileFromBuckets(deltas, 0.95),
      p99: quantileFromBuckets(deltas, 0.99),
    };
  });
  return {
    targetRate: rate,
    durationS,
    generator,
    generatorError,
    sustained: generator !== null && generator.achievedRate >= 0.9 * rate,
    sinks,
    drained,
    baseline,
    load: { start: loadStart, end: loadEnd },
  };
}

/** Waits until the service's groups hold no lag against the topics' current ends. */
export async function waitCaughtUp(
  service: BenchService,
  admin: Admin,
  ids: ServiceRunIds,
  source: BenchSource,
  timeoutMs: number,
  sinks: readonly BenchSink[],
): Promise<boolean> {
  const ends = (await countMessages(admin, source.topics)).ends;
  const watch = await watchUntilDrained(service, admin, ids, source, ends, timeoutMs, sinks, 250);
  return sinks.every((sink) => watch.drainedAt[sink] !== undefined);
}
