// The results: one JSON document (results.json) and its Markdown rendering (results.md), plus
// profile.md. Every figure sits next to the load average it was measured under.
import type { CatchUpResult, SteadyResult, VerifySummary } from './fanout.js';
import { formatBytes, formatLoad, formatMs, formatNumber, formatShare, markdownTable } from './format.js';
import type { KafkaClientsReport } from './kafka-clients.js';
import type { Machine } from './machine.js';
import type { PeerOutcome } from './peers.js';
import type { ProfileSummary } from './profile.js';
import type { Quantile } from './prom.js';
import { BENCH_PROCESS, SERVICE_PROCESS, type CpuSplit } from './cpu-split.js';
import { roundRatio, summariseRatios, type PairedRatios } from './pairs.js';
import type { RawSinkResult } from './raw-sinks.js';
import type { RebuildComparison } from './rebuild.js';
import type { GenerateRun } from './source.js';

export interface Results {
  readonly mode: 'full' | 'smoke';
  readonly startedAt: string;
  finishedAt: string;
  readonly machine: Machine;
  versions: Record<string, string>;
  source: {
    readonly mode: string;
    readonly database: string;
    readonly topics: readonly string[];
    readonly target: number;
    foundAtStart: number;
    backlog: number;
    byTopic: Record<string, number>;
    topUps: GenerateRun[];
    topUpSeconds: number;
  } | null;
  raw: { results: RawSinkResult[]; load: number[]; error: string | null } | null;
  /** How the bench started the service (`--compiled`: as the image does). */
  serviceCommand?: string;
  catchUp: CatchUpResult | null;
  catchUpError: string | null;
  /** A fresh group replaying the backlog into the documents the catch-up wrote: every write stale. */
  recovery?: CatchUpResult | null;
  recoveryError?: string | null;
  /** The catch-up that wrote the documents the recovery replayed into (same run, same load). */
  recoveryReference?: CatchUpResult | null;
  /** The catch-up again by one service per sink, each alone on the machine (phase alone). */
  catchUpAlone?: CatchUpResult[] | null;
  catchUpAloneError?: string | null;
  /** Raw passes and one-sink catch-ups in alternation, per sink (phase pairs, pairs.ts). */
  pairs?: PairedRatios[] | null;
  pairsError?: string | null;
  /** Avro against JSON: one catch-up per topic set of the same row changes (phase avro). */
  avro?: AvroComparison | null;
  avroError?: string | null;
  steady: SteadyResult[];
  steadyVerify: VerifySummary | null;
  latencyBuckets: { bounds: number[]; note: string };
  peers: { note: string; outcomes: PeerOutcome[]; load: number[] } | null;
  profile: {
    seconds: number;
    file: string;
    summary: ProfileSummary | null;
    error: string | null;
    load: number[];
  } | null;
  kafkaClients: { report: KafkaClientsReport | null; error: string | null; load: number[] } | null;
  /** resync and reindex of the backlog's largest table (phase reindex). */
  rebuild?: RebuildComparison | null;
  rebuildError?: string | null;
  chart: { ok: boolean; error: string | null } | null;
  notes: string[];
  ratios: Array<{ name: string; value: number | null; detail: string }>;
}

/** One catch-up of a topic set, for the Avro-against-JSON comparison. */
export interface FormatCatchUp {
  readonly format: 'json' | 'avro';
  readonly connector: string;
  readonly topics: readonly string[];
  readonly result: CatchUpResult;
}

export interface AvroComparison {
  readonly database: string;
  readonly registryUrl: string;
  /** Run one after the other, JSON first, each by a fresh service with fresh groups. */
  readonly runs: FormatCatchUp[];
}

/** Events consumed by all of a catch-up's sinks together. */
const eventsOfAllSinks = (c: CatchUpResult) => c.sinks.reduce((sum, sink) => sum + sink.events, 0);

/** CPU time of the service per consumed event, both sinks' events counted. */
export function cpuMicrosPerEvent(c: CatchUpResult): number {
  return (c.cpuSeconds * 1e6) / Math.max(1, eventsOfAllSinks(c));
}

/** CPU seconds of the named process trees together. */
const namedCpuSeconds = (split: CpuSplit) =>
  split.processes.reduce((sum, process) => sum + process.cpuSeconds, 0);

/** CPU seconds of everything on the machine but the named process trees. */
const restOfMachineSeconds = (split: CpuSplit) =>
  Math.max(0, split.machineBusySeconds - namedCpuSeconds(split));

const q = (quantile: Quantile | null) =>
  quantile === null ? '–' : `${formatMs(quantile.value)}${quantile.upper === Infinity ? '+' : ''}`;

const bucket = (quantile: Quantile | null) =>
  quantile === null
    ? '–'
    : `(${formatMs(quantile.lower)}, ${quantile.upper === Infinity ? '∞' : formatMs(quantile.upper)}]`;

const formatRoundRatio = (ratio: number | null) => (ratio === null ? '–' : `${ratio.toFixed(2)}x`);

export function computeRatios(results: Results): Results['ratios'] {
  const ratios: Results['ratios'] = [];
  const fanout = (sink: string) => results.catchUp?.sinks.find((entry) => entry.sink === sink);
  const alone = (sink: string) =>
    results.catchUpAlone?.flatMap((run) => run.sinks).find((entry) => entry.sink === sink);
  /** Section 2 (both sinks in one service), then section 2a (the sink alone) where it ran. */
  const ownRuns = (sink: string) =>
    [
      { label: 'cdc-fanout', own: fanout(sink) },
      { label: 'cdc-fanout alone', own: alone(sink) },
    ].filter((run, index) => index === 0 || run.own !== undefined);
  for (const raw of results.raw?.results ?? []) {
    for (const { label, own } of ownRuns(raw.sink)) {
      ratios.push({
        name: `${label} / raw limit (${raw.sink})`,
        value: own ? own.eventsPerSecond / raw.docsPerSecond : null,
        detail: own
          ? `${formatNumber(own.eventsPerSecond)} events/s ÷ ${formatNumber(raw.docsPerSecond)} docs/s`
          : 'no catch-up figure',
      });
      if (own) {
        ratios.push({
          name: `${label} documents written / raw limit (${raw.sink})`,
          value: own.writesPerSecond / raw.docsPerSecond,
          detail: `${formatNumber(own.writesPerSecond)} docs/s ÷ ${formatNumber(raw.docsPerSecond)} docs/s`,
        });
      }
    }
  }
  for (const pairs of results.pairs ?? []) {
    const summary = summariseRatios(pairs);
    ratios.push({
      name: `cdc-fanout alone / raw limit (${pairs.sink}), median of ${summary?.counted ?? 0} paired rounds`,
      value: summary?.median ?? null,
      detail: summary
        ? `${pairs.rounds.map((round) => formatRoundRatio(roundRatio(round))).join(', ')} (range ${summary.min.toFixed(2)}x-${summary.max.toFixed(2)}x); section 2d`
        : 'no round gave a figure; section 2d',
    });
  }
  for (const replay of results.recovery?.sinks ?? []) {
    const own = (results.recoveryReference ?? results.catchUp)?.sinks.find(
      (entry) => entry.sink === replay.sink,
    );
    ratios.push({
      name: `recovery (all stale) / catch-up (${replay.sink})`,
      value: own ? replay.eventsPerSecond / own.eventsPerSecond : null,
      detail: `${formatNumber(replay.eventsPerSecond)} ÷ ${formatNumber(own?.eventsPerSecond)} events/s`,
    });
  }
  const json = results.avro?.runs.find((run) => run.format === 'json')?.result;
  const avro = results.avro?.runs.find((run) => run.format === 'avro')?.result;
  if (json && avro) {
    for (const sink of avro.sinks) {
      const reference = json.sinks.find((entry) => entry.sink === sink.sink);
      ratios.push({
        name: `Avro / JSON catch-up (${sink.sink})`,
        value: reference ? sink.eventsPerSecond / reference.eventsPerSecond : null,
        detail: `${formatNumber(sink.eventsPerSecond)} ÷ ${formatNumber(reference?.eventsPerSecond)} events/s`,
      });
    }
    ratios.push({
      name: 'Avro / JSON CPU per event',
      value: cpuMicrosPerEvent(avro) / cpuMicrosPerEvent(json),
      detail: `${formatNumber(cpuMicrosPerEvent(avro), 1)} ÷ ${formatNumber(cpuMicrosPerEvent(json), 1)} µs`,
    });
  }
  for (const outcome of results.peers?.outcomes ?? []) {
    const peerRate = outcome.result?.eventsPerSecond || null;
    for (const { label, own } of ownRuns(outcome.sink)) {
      // Peers are timed from their start (connector registered / process spawned): so is cdc-fanout here.
      ratios.push({
        name: `${label} / ${outcome.peer} (${outcome.sink})`,
        value: own && peerRate ? own.eventsPerSecondFromSpawn / peerRate : null,
        detail: !outcome.available
          ? outcome.status
          : peerRate
            ? `${formatNumber(own?.eventsPerSecondFromSpawn)} ÷ ${formatNumber(peerRate)} events/s, both timed from start-up${outcome.result?.correct ? '' : '; the peer was not correct'}`
            : `the peer consumed nothing: ${outcome.result?.correctness ?? ''} ${outcome.result?.note ?? ''}`.trim(),
      });
    }
  }
  const clients = results.kafkaClients?.report?.results ?? [];
  const kafkajs = clients.find((client) => client.client === 'kafkajs');
  for (const client of clients) {
    if (client === kafkajs) continue;
    ratios.push({
      name: `${client.client} / kafkajs (raw consume)`,
      value: client.available && kafkajs ? client.messagesPerSecond / kafkajs.messagesPerSecond : null,
      detail: client.available
        ? `${formatNumber(client.messagesPerSecond)} ÷ ${formatNumber(kafkajs?.messagesPerSecond)} messages/s`
        : `not available: ${client.note.split('\n')[0]}`,
    });
  }
  for (const sink of new Set((results.rebuild?.steps ?? []).map((step) => step.sink))) {
    const steps = results.rebuild!.steps.filter((step) => step.sink === sink && step.exitCode === 0);
    const resync = steps.find((step) => step.command === 'resync' && step.into === 'written');
    const reindex = steps.find((step) => step.command === 'reindex');
    if (!resync || !reindex) continue;
    ratios.push({
      name: `reindex / resync time (${sink})`,
      value: reindex.seconds / resync.seconds,
      detail: `${reindex.seconds.toFixed(1)} s ÷ ${resync.seconds.toFixed(1)} s for ${formatNumber(reindex.rows)} rows`,
    });
  }
  return ratios;
}

const REBUILD_STEP_NAMES = {
  'resync empty': 'resync into an empty target',
  'resync written': 'resync over the written documents',
  'reindex written': 'reindex (new index/collection, switch)',
  'reindex empty': 'reindex',
} as const;

/**
 * Discovery intervals a reindex waits: two before its backfill; for MongoDB two more with the
 * writes paused before the rename and two after it.
 */
export function discoveryWaits(sink: string): number {
  return sink === 'mongodb' ? 6 : 2;
}

function renderRebuild(out: string[], results: Results): void {
  const r = results.rebuild;
  if (!r && !results.rebuildError) return;
  out.push('## 7. Rebuilding a table: resync and reindex');
  out.push('');
  if (results.rebuildError) out.push(`Failed: ${results.rebuildError}`);
  if (r) {
    out.push(
      `The backlog's largest table, \`${r.table}\` (${formatNumber(r.rows)} rows), rebuilt by the commands a user runs (\`cdc-fanout resync|reindex --table ${r.table} --sink S\`, each a fresh process, start-up included), into the run's own index prefix and Mongo database, with no service running. First a resync fills the empty target, then a resync over those documents (its usual case: a repair) and a reindex (\`--grace 0\`) that builds a new index or collection and switches readers to it. The reindex waits twice the discovery interval (ELASTICSEARCH_/MONGODB_REINDEX_DISCOVERY_MS, ${formatNumber(r.discoveryMs)} ms here) for running services to write to the new target before its backfill, and the MongoDB one twice more with the writes paused before the rename and twice after it; those waits are in its time, and left out of the last rows/s column.`,
    );
    out.push('');
    out.push(
      markdownTable(
        [
          'sink',
          'command',
          'rows',
          'seconds',
          'rows/s',
          'rows/s without the discovery waits',
          'exit',
          'load start → end',
        ],
        r.steps.map((step) => [
          step.sink,
          REBUILD_STEP_NAMES[`${step.command} ${step.into}`],
          formatNumber(step.rows),
          step.seconds.toFixed(1),
          step.exitCode === 0 ? `**${formatNumber(step.rowsPerSecond)}**` : '–',
          step.exitCode === 0 && step.command === 'reindex'
            ? formatNumber(step.rows / (step.seconds - (discoveryWaits(step.sink) * r.discoveryMs) / 1000))
            : '',
          step.exitCode === 0 ? '0' : `${String(step.exitCode)}: ${step.output.join(' / ')}`,
          `${formatLoad(step.load.start)} → ${formatLoad(step.load.end)}`,
        ]),
      ),
    );
    for (const note of r.notes) out.push('', note);
  }
  out.push('');
}

/**
 * Where a window's CPU went, per `unit` (an event, a document): each named process tree, the rest of
 * the machine (other sessions, the kernel), and what the named processes' costs alone allow on all
 * cores. `service` names the process whose share is left out of the second ceiling.
 */
export function renderCpuSplit(
  out: string[],
  split: CpuSplit,
  units: number,
  unit: string,
  service: string,
): void {
  const perUnit = (seconds: number) => (seconds * 1e6) / Math.max(units, 1);
  const named = namedCpuSeconds(split);
  const withoutService = split.processes
    .filter((process) => process.name !== service)
    .reduce((sum, process) => sum + process.cpuSeconds, 0);
  // Results recorded before the scheduler's account was read have no wait column.
  const waits = split.processes.some((process) => process.waitSeconds !== undefined);
  const row = (name: string, cpuSeconds: number, waitSeconds?: number) => [
    name,
    cpuSeconds.toFixed(1),
    (cpuSeconds / Math.max(split.seconds, 1e-3)).toFixed(2),
    formatNumber(perUnit(cpuSeconds), 1),
    ...(waits ? [waitSeconds === undefined ? '' : waitSeconds.toFixed(1)] : []),
  ];
  out.push('');
  out.push(
    markdownTable(
      [
        'CPU over the same window (/proc, process trees)',
        'CPU s',
        'cores',
        `µs per ${unit}`,
        ...(waits ? ['waiting for a CPU, s'] : []),
      ],
      [
        ...split.processes.map((process) => row(process.name, process.cpuSeconds, process.waitSeconds)),
        row('the rest of the machine (other processes, the kernel)', restOfMachineSeconds(split)),
        row(`machine, ${split.cpus} cores, ${split.seconds.toFixed(1)} s`, split.machineBusySeconds),
      ],
    ),
  );
  const main = split.mainThread;
  if (main) {
    const share = (seconds: number) => `${Math.round((seconds / Math.max(split.seconds, 1e-3)) * 100)} %`;
    const idle = Math.max(0, split.seconds - main.runSeconds - main.waitSeconds);
    out.push('');
    out.push(
      `${main.name}'s main thread ran ${share(main.runSeconds)} of the window, waited for a CPU ${share(main.waitSeconds)} (runnable, another thread on the cores), and was idle ${share(idle)} (waiting for I/O). Waiting for a CPU is summed over a process's threads (schedstat).`,
    );
  }
  const ceiling = (seconds: number) => formatNumber((split.cpus * 1e6) / Math.max(perUnit(seconds), 1e-9));
  out.push('');
  out.push(
    `At these costs ${split.cpus} cores allow at most ${ceiling(named)} ${unit}s/s for the named processes together, and ${ceiling(withoutService)} ${unit}s/s if ${service} cost nothing.`,
  );
}

/** One measured run for cpuPerEventTable. */
export interface CpuRun {
  readonly label: string;
  readonly sink: string;
  readonly events: number;
  readonly split: CpuSplit;
}

/** Runs side by side: each process's CPU µs per event, the rest of the machine, the machine. */
export function cpuPerEventTable(runs: readonly CpuRun[]): string {
  const names = [...new Set(runs.flatMap((run) => run.split.processes.map((process) => process.name)))];
  const perEvent = (run: CpuRun, seconds: number | undefined) =>
    seconds === undefined ? '–' : formatNumber((seconds * 1e6) / Math.max(run.events, 1), 1);
  return markdownTable(
    ['run', 'sink', 'events', ...names, 'the rest of the machine', 'machine'],
    runs.map((run) => [
      run.label,
      run.sink,
      formatNumber(run.events),
      ...names.map((name) =>
        perEvent(run, run.split.processes.find((process) => process.name === name)?.cpuSeconds),
      ),
      perEvent(run, restOfMachineSeconds(run.split)),
      perEvent(run, run.split.machineBusySeconds),
    ]),
  );
}

/** A catch-up's per-sink and process tables (catch-up and recovery share them). */
function renderCatchUp(out: string[], c: CatchUpResult): void {
  out.push('');
  out.push(
    markdownTable(
      [
        'sink',
        'events',
        'seconds',
        'events/s',
        'documents written',
        'docs/s',
        'events/s from spawn',
        'drained',
      ],
      c.sinks.map((sink) => [
        sink.sink,
        formatNumber(sink.events),
        sink.seconds.toFixed(1),
        `**${formatNumber(sink.eventsPerSecond)}**`,
        formatNumber(sink.writes),
        formatNumber(sink.writesPerSecond),
        formatNumber(sink.eventsPerSecondFromSpawn),
        sink.drained ? 'yes' : sink.stalled ? 'NO (stalled: the sink stopped answering)' : 'NO (timed out)',
      ]),
    ),
  );
  out.push('');
  out.push(
    markdownTable(
      ['process', 'value'],
      [
        ['wall time, spawn to every sink drained', `${c.wallSeconds.toFixed(1)} s`],
        ['start-up, spawn to first event', `${c.startupSeconds.toFixed(1)} s`],
        ['CPU time (utime+stime, /proc/<pid>/stat)', `${c.cpuSeconds.toFixed(1)} s`],
        ['cores busy while catching up', c.cores.toFixed(2)],
        ['CPU µs per event (all its sinks)', formatNumber(cpuMicrosPerEvent(c), 1)],
        ['peak RSS (VmRSS every 250 ms)', formatBytes(c.peakRssBytes)],
        ['dead letters', formatNumber(c.deadLetters)],
        ['load average start → end', `${formatLoad(c.load.start)} → ${formatLoad(c.load.end)}`],
        [
          'verify (drained sinks equal Postgres)',
          c.verify
            ? c.verify.ok
              ? `**ok** (${c.verify.seconds.toFixed(0)} s)`
              : '**DRIFT**'
            : 'not run (not drained)',
        ],
      ],
    ),
  );
  if (c.cpuSplit) renderCpuSplit(out, c.cpuSplit, eventsOfAllSinks(c), 'event', SERVICE_PROCESS);
  if (c.verify) {
    out.push('');
    out.push('```');
    out.push(...c.verify.lines);
    out.push('```');
  }
}

function renderPairs(out: string[], results: Results): void {
  out.push('## 2d. The ratio to the raw limit, in paired rounds');
  out.push('');
  if (results.pairsError) out.push(`Failed: ${results.pairsError}`);
  out.push(
    'One raw pass as in section 1 (into a database or indices of its own), then straight after it the one-sink catch-up of section 2a (fresh groups and targets), repeated: each round\u2019s two figures see the same minutes of this shared machine, where sections 1 and 2a are taken with other phases between them, and single runs of the same code vary by a third. The median of the rounds\u2019 ratios is the one to judge the 0.8x goal by; a round whose catch-up did not drain or did not verify gives no ratio.',
  );
  for (const pairs of results.pairs ?? []) {
    out.push('');
    out.push(
      markdownTable(
        [
          'round',
          'sink',
          'raw docs/s',
          'catch-up events/s',
          'ratio',
          'service CPU µs per event',
          'peak RSS',
          'load at the catch-up (start → end)',
          'verify',
        ],
        pairs.rounds.map((round) => [
          String(round.round),
          pairs.sink,
          formatNumber(round.raw.docsPerSecond),
          round.alone ? formatNumber(round.alone.sinks[0]?.eventsPerSecond) : `failed: ${round.error ?? ''}`,
          `**${formatRoundRatio(roundRatio(round))}**`,
          round.alone ? formatNumber(cpuMicrosPerEvent(round.alone), 1) : '–',
          round.alone ? formatBytes(round.alone.peakRssBytes) : '–',
          round.alone ? `${formatLoad(round.alone.load.start)} → ${formatLoad(round.alone.load.end)}` : '–',
          round.alone?.verify ? (round.alone.verify.ok ? 'ok' : '**DRIFT**') : 'not run',
        ]),
      ),
    );
    const summary = summariseRatios(pairs);
    out.push('');
    out.push(
      summary
        ? `${pairs.sink}: median **${summary.median.toFixed(2)}x** of ${summary.counted} round${summary.counted === 1 ? '' : 's'} with a ratio (range ${summary.min.toFixed(2)}x-${summary.max.toFixed(2)}x).`
        : `${pairs.sink}: no round gave a ratio.`,
    );
  }
  out.push('');
}

function renderAvro(out: string[], results: Results): void {
  out.push('## 2c. Avro against JSON on the same backlog');
  out.push('');
  if (results.avroError) out.push(`Failed: ${results.avroError}`);
  const a = results.avro;
  if (a) {
    out.push(
      `Two Debezium connectors capture the same tables of database \`${a.database}\`: ${a.runs.map((run) => `\`${run.connector}\` (${run.format.toUpperCase()}, ${run.topics.join(', ')})`).join(' and ')}, so both topic sets hold the same row changes. Each set is caught up by its own service (as in section 2: fresh groups, index prefix and Mongo database), one after the other, JSON first; the Avro one with \`REGISTRY_URL=${a.registryUrl}\`. Per-sink events/s, and the process's CPU time over both sinks' events.`,
    );
    out.push('');
    out.push(
      markdownTable(
        [
          'format',
          'events',
          ...a.runs[0]!.result.sinks.map((sink) => `${sink.sink} events/s`),
          'CPU s',
          'CPU µs/event',
          'peak RSS',
          'dead letters',
          'load start → end',
          'verify',
        ],
        a.runs.map(({ format, result }) => [
          format.toUpperCase(),
          formatNumber(result.backlog),
          ...result.sinks.map(
            (sink) => `**${formatNumber(sink.eventsPerSecond)}**${sink.drained ? '' : ' (not drained)'}`,
          ),
          result.cpuSeconds.toFixed(1),
          `**${formatNumber(cpuMicrosPerEvent(result), 1)}**`,
          formatBytes(result.peakRssBytes),
          formatNumber(result.deadLetters),
          `${formatLoad(result.load.start)} → ${formatLoad(result.load.end)}`,
          result.verify ? (result.verify.ok ? 'ok' : '**DRIFT**') : 'not run (not drained)',
        ]),
      ),
    );
    for (const { format, result } of a.runs) {
      out.push('');
      out.push(`### ${format.toUpperCase()} catch-up in detail`);
      renderCatchUp(out, result);
    }
  }
  out.push('');
}

/** A run's results before any phase has run. */
export function emptyResults(mode: Results['mode'], machine: Machine, startedAt: string): Results {
  return {
    mode,
    startedAt,
    finishedAt: '',
    machine,
    versions: {},
    source: null,
    raw: null,
    catchUp: null,
    catchUpError: null,
    steady: [],
    steadyVerify: null,
    latencyBuckets: { bounds: [], note: '' },
    peers: null,
    profile: null,
    kafkaClients: null,
    chart: null,
    notes: [],
    ratios: [],
  };
}

export function renderMarkdown(results: Results): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`# cdc-fanout benchmark (${results.mode})`);
  out.push('');
  out.push(
    `Run ${results.startedAt} to ${results.finishedAt}. Generated by \`npm run ${results.mode === 'full' ? 'bench' : 'bench:smoke'}\` (bench/run.ts); raw figures in results.json, chart in chart.png.`,
  );
  out.push('');
  out.push('## Machine and versions');
  out.push('');
  out.push(
    markdownTable(
      ['what', 'value'],
      [
        ['nproc', String(m.nproc)],
        ['memory', formatBytes(m.memoryBytes)],
        ['CPU model', m.cpuModel],
        ['kernel', m.kernel],
        ['load average at start (1/5/15 min)', formatLoad(m.loadAverage)],
        ...Object.entries(results.versions).map(([name, version]) => [name, version]),
      ],
    ),
  );
  out.push('');
  out.push(
    '> The machine is shared with other sessions (integration tests, builds): every figure below is printed next to the load average (1/5/15 min) at the start and end of its measurement. Treat differences under ~20 % as noise.',
  );
  out.push('');

  if (results.ratios.length > 0) {
    out.push('## Ratios');
    out.push('');
    out.push(
      markdownTable(
        ['ratio', 'value', 'from'],
        results.ratios.map((ratio) => [
          ratio.name,
          ratio.value === null ? '–' : `${ratio.value.toFixed(2)}x`,
          ratio.detail,
        ]),
      ),
    );
    out.push('');
  }

  if (results.source) {
    const s = results.source;
    out.push('## Backlog');
    out.push('');
    out.push(
      `${formatNumber(s.backlog)} change events (Kafka messages, tombstones included) in ${s.topics.join(', ')} (target ${formatNumber(s.target)}; ${formatNumber(s.foundAtStart)} were already there), made by \`cdc-fanout generate\` on database \`${s.database}\` through Debezium. ` +
        (s.mode === 'isolated'
          ? 'The benchmark uses its own database and connector so that this backlog never lands in the cdc.inventory.* topics other engineers\u2019 integration tests read from the beginning.'
          : 'Shared source: the stack\u2019s own cdc.inventory.* topics.'),
    );
    if (s.topUps.length > 0) {
      out.push('');
      out.push(
        markdownTable(
          ['top-up', 'target rate', 'events', 'achieved rate', 'errors'],
          s.topUps.map((run, index) => [
            String(index + 1),
            `${formatNumber(run.targetRate)}/s`,
            formatNumber(run.events),
            `${formatNumber(run.achievedRate)}/s`,
            formatNumber(run.errors),
          ]),
        ),
      );
      out.push('');
      out.push(
        `Top-up took ${s.topUpSeconds.toFixed(0)} s including waiting for Debezium to publish everything.`,
      );
    }
    out.push('');
    out.push(
      markdownTable(
        ['topic', 'messages'],
        Object.entries(s.byTopic).map(([topic, count]) => [topic, formatNumber(count)]),
      ),
    );
    out.push('');
  }

  out.push('## 1. Raw sink limit (no Kafka, no decoding)');
  out.push('');
  if (results.raw?.error) {
    out.push(results.raw.results.length > 0 ? `Note: ${results.raw.error}` : `Failed: ${results.raw.error}`);
    out.push('');
  }
  if (results.raw && results.raw.results.length > 0) {
    out.push(
      `Documents built from the bench database's rows with the service's own code (toDocument; toStoredForm for MongoDB), one table per batch like one Kafka partition's batch, ${results.raw.results[0]!.batchSize} documents per batch, ${results.raw.results[0]!.concurrency} batches in flight (the service's KAFKA_PARTITIONS_CONCURRENCY). Elasticsearch: \`_bulk\` with the sink's NDJSON lines (external versions) and 8 MiB chunks; MongoDB: the sink's default range guard, an unordered \`update\` command sent as the sink sends it, of replacing upserts filtered on _id and a position stored before theirs (no read). Pass 1 inserts the rows into empty targets, each later pass overwrites them all at a higher position, until about as many documents are written as the backlog has events (a full run writes every row of the bench database): the volume and collection sizes of the catch-up, long enough to include the servers' garbage collection; a pass starts no new batch after 90 s (30 s in smoke) and counts what it wrote. The ceiling is the documents of all passes over their time.`,
    );
    out.push('');
    out.push(
      markdownTable(
        ['sink', 'pass', 'documents', 'seconds', 'docs/s', 'failed', 'load (1/5/15)'],
        results.raw.results.flatMap((raw) => [
          ...raw.passes.map((pass) => [
            raw.sink,
            pass.pass,
            formatNumber(pass.docs),
            pass.seconds.toFixed(1),
            formatNumber(pass.docsPerSecond),
            `${formatNumber(pass.failed)}${pass.note ? ` (stopped: ${pass.note})` : ''}`,
            formatLoad(results.raw!.load),
          ]),
          [
            raw.sink,
            '**all passes (ceiling)**',
            formatNumber(raw.docs),
            raw.seconds.toFixed(1),
            `**${formatNumber(raw.docsPerSecond)}**`,
            '',
            '',
          ],
        ]),
      ),
    );
    for (const raw of results.raw.results) {
      if (!raw.cpuSplit) continue;
      out.push('');
      out.push(`CPU of the ${raw.sink} passes (the bench process builds, encodes and sends the writes):`);
      renderCpuSplit(out, raw.cpuSplit, raw.docs, 'document', BENCH_PROCESS);
    }
  }
  out.push('');

  out.push('## 2. cdc-fanout catch-up');
  out.push('');
  if (results.catchUpError) out.push(`Failed: ${results.catchUpError}`);
  const c = results.catchUp;
  if (c) {
    out.push(
      `The service (\`${results.serviceCommand ?? 'node --import tsx src/cli/main.ts start'}\`, LOG_LEVEL=warn, both sinks in one process) with fresh groups \`${c.runId}.<sink>\` on the ${formatNumber(c.backlog)}-event backlog. A sink's time runs from its first consumed event to its group's committed offsets reaching the topics' end offsets; events are \`cdc_fanout_events_consumed_total\`, documents are \`cdc_fanout_sink_writes_total\` (written + stale, after coalescing; tombstones write nothing).`,
    );
    renderCatchUp(out, c);
  }
  out.push('');

  if (results.catchUpAlone || results.catchUpAloneError) {
    out.push('## 2a. Each sink alone');
    out.push('');
    if (results.catchUpAloneError) out.push(`Failed: ${results.catchUpAloneError}`);
    out.push(
      'The same catch-up by one service per sink (`SINKS` set to that sink, fresh groups, index prefix and Mongo database), one after the other: what the raw limit and the peers measure, one sink writing and nothing else consuming. Section 2 has both sinks share one process and the machine, as the compose file deploys them. A sink that runs no faster alone is bound by its server, not by sharing the service.',
    );
    for (const run of results.catchUpAlone ?? []) renderCatchUp(out, run);
    out.push('');
  }

  if (results.recovery || results.recoveryError) {
    out.push('## 2b. Recovery: the backlog again, from the start, into written documents');
    out.push('');
    if (results.recoveryError) out.push(`Failed: ${results.recoveryError}`);
    const r = results.recovery;
    if (r) {
      out.push(
        `After the catch-up, the service starts again with new groups \`${r.runId}.<sink>\` (an offset reset to the start) on the same indices and database: every one of the ${formatNumber(r.backlog)} events is older than what the sinks hold, so every write is refused as stale and nothing may change. This is the speed of recovering from a lost offset or a replay.`,
      );
      const reference = results.recoveryReference;
      if (reference && reference.runId !== results.catchUp?.runId) {
        out.push('');
        out.push(
          `Measured in a later run than section 2 (load ${formatLoad(reference.load.start)} → ${formatLoad(reference.load.end)}), after its own catch-up of the same backlog: ${reference.sinks.map((sink) => `${sink.sink} ${formatNumber(sink.eventsPerSecond)} events/s`).join(', ')}. The recovery ratio divides by that catch-up.`,
        );
      }
      renderCatchUp(out, r);
    }
    out.push('');
  }

  if (results.avro || results.avroError) renderAvro(out, results);
  if (results.pairs || results.pairsError) renderPairs(out, results);

  out.push('## 3. cdc-fanout steady state');
  out.push('');
  if (results.steady.length === 0) out.push('Not run.');
  else {
    out.push(
      'The caught-up service under `cdc-fanout generate` at a fixed rate. Latency is `cdc_fanout_end_to_end_latency_seconds` (source commit `source.ts_ms` to sink acknowledgement), all tables, quantiles estimated from the bucket deltas between a scrape before the generator starts and one after the groups drained again (linear inside a bucket, as PromQL\u2019s histogram_quantile). The bucket column is where the p99 really lies.',
    );
    out.push('');
    out.push(
      markdownTable(
        [
          'target rate',
          'generator achieved',
          'sink',
          'consumed/s',
          'events',
          'p50',
          'p95',
          'p99',
          'p99 bucket',
          'load start → end',
        ],
        results.steady.flatMap((run) =>
          run.sinks.map((sink) => [
            `${formatNumber(run.targetRate)}/s`,
            run.generator
              ? `${formatNumber(run.generator.achievedRate)}/s${run.sustained ? '' : ' (not sustained)'}`
              : `failed: ${run.generatorError ?? '?'}`,
            sink.sink,
            formatNumber(sink.consumedPerSecond),
            formatNumber(sink.observations),
            q(sink.p50),
            q(sink.p95),
            q(sink.p99),
            bucket(sink.p99),
            `${formatLoad(run.load.start)} → ${formatLoad(run.load.end)}`,
          ]),
        ),
      ),
    );
    const baselines = results.steady.filter((run) => run.baseline && run.baseline.events > 0);
    if (baselines.length > 0) {
      out.push('');
      out.push(
        'Baseline: the same events from the source commit to a plain kafkajs consumer (fresh group at the end of the topics, exact quantiles): Debezium, Connect and Kafka, which no sink pipeline can beat.',
      );
      out.push('');
      out.push(
        markdownTable(
          ['target rate', 'events', 'p50', 'p95', 'p99'],
          baselines.map((run) => [
            `${formatNumber(run.targetRate)}/s`,
            formatNumber(run.baseline!.events),
            formatMs(run.baseline!.p50),
            formatMs(run.baseline!.p95),
            formatMs(run.baseline!.p99),
          ]),
        ),
      );
    }
    out.push('');
    out.push(
      `Histogram buckets (s): ${results.latencyBuckets.bounds.join(', ')}. ${results.latencyBuckets.note}`,
    );
    if (results.steadyVerify) {
      out.push('');
      out.push(`Verify after the steady-state runs: ${results.steadyVerify.ok ? '**ok**' : '**DRIFT**'}.`);
    }
  }
  out.push('');

  out.push('## 4. Peers on the same backlog');
  out.push('');
  if (!results.peers) out.push('Not run in this mode.');
  else {
    out.push(
      `${results.peers.note}. Each peer gets the same topics and the backlog's record count; a peer leaves out the tables it cannot write (its note says which) and is then timed on the rest. Peers are timed from their start (connector registered / process spawned) until they committed the expected records, so the ratios above use cdc-fanout's events/s from spawn. Load at start: ${formatLoad(results.peers.load)}.`,
    );
    if (results.peers.outcomes.length > 0) {
      out.push('');
      out.push(
        markdownTable(
          ['peer', 'sink', 'status', 'events', 'seconds', 'events/s', 'correct', 'correctness', 'note'],
          results.peers.outcomes.map((outcome) => [
            outcome.peer,
            outcome.sink,
            outcome.status,
            formatNumber(outcome.result?.events),
            outcome.result ? outcome.result.seconds.toFixed(1) : '–',
            formatNumber(outcome.result?.eventsPerSecond),
            outcome.result ? (outcome.result.correct ? 'yes' : 'NO') : '–',
            outcome.result?.correctness ?? '',
            outcome.result?.note ?? '',
          ]),
        ),
      );
    }
    const peerRuns: CpuRun[] = results.peers.outcomes.flatMap((outcome) =>
      outcome.cpuSplit && outcome.result
        ? [
            {
              label: outcome.peer,
              sink: outcome.sink,
              events: outcome.result.events,
              split: outcome.cpuSplit,
            },
          ]
        : [],
    );
    const serviceRuns: CpuRun[] = (results.catchUpAlone ?? []).flatMap((alone) =>
      alone.cpuSplit
        ? alone.sinks.map((sink) => ({
            label: `cdc-fanout, ${sink.sink} alone (2a)`,
            sink: sink.sink,
            events: sink.events,
            split: alone.cpuSplit!,
          }))
        : [],
    );
    // Runs from before the peers were measured this way have no split: then there is nothing to set beside.
    if (peerRuns.length > 0) {
      out.push('');
      out.push(
        `CPU µs per event over each run, by process tree (/proc): cdc-fanout's are its one-sink catch-ups of section 2a. A Kafka Connect peer works in the stack's \`connect\` worker; a peer the bench spawns (Redpanda Connect) counts under \`${BENCH_PROCESS}\`, with the correctness check the bench runs at the end of every peer's run (its reads also count under postgres and the sink's server). A peer that timed out is divided by the events it consumed.`,
      );
      out.push('');
      out.push(cpuPerEventTable([...serviceRuns, ...peerRuns]));
    }
  }
  out.push('');

  out.push('## 5. Profile');
  out.push('');
  if (!results.profile) out.push('Not run.');
  else if (results.profile.error) out.push(`Failed: ${results.profile.error}`);
  else if (results.profile.summary) {
    const p = results.profile.summary;
    out.push(
      `\`node --cpu-prof\` on the service catching up for ${results.profile.seconds.toFixed(0)} s (load at start ${formatLoad(results.profile.load)}): ${formatNumber(p.busyMs / 1000, 1)} s busy, ${formatNumber(p.idleMs / 1000, 1)} s idle. Details in [profile.md](profile.md).`,
    );
    out.push('');
    out.push(
      markdownTable(
        ['self time by package / file', 'ms', 'share of busy'],
        p.groups
          .slice(0, 10)
          .map((group) => [group.group, formatNumber(group.selfMs), formatShare(group.share)]),
      ),
    );
  }
  out.push('');

  out.push('## 6. Kafka clients (raw consume, report only)');
  out.push('');
  const k = results.kafkaClients;
  if (!k) out.push('Not run in this mode.');
  else if (k.error) out.push(`Failed: ${k.error}`);
  else if (k.report) {
    out.push(
      `A fresh group reads ${k.report.topic} from start to end, counting messages and touching each value, no decoding; time from the first message to the last. Load at start: ${formatLoad(k.load)}.`,
    );
    out.push('');
    out.push(
      markdownTable(
        ['client', 'version', 'messages', 'seconds', 'messages/s', 'how installed / why not'],
        k.report.results.map((client) => [
          client.client,
          client.version,
          client.available ? formatNumber(client.messages) : '–',
          client.available ? client.seconds.toFixed(2) : '–',
          client.available ? `**${formatNumber(client.messagesPerSecond)}**` : 'not available',
          client.note,
        ]),
      ),
    );
    out.push('');
    out.push('Plain `npm install @confluentinc/kafka-javascript` here fails with:');
    out.push('');
    out.push('```');
    out.push(k.report.confluentPlainInstall);
    out.push('```');
  }
  out.push('');

  renderRebuild(out, results);

  if (results.notes.length > 0) {
    out.push('## Notes');
    out.push('');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export function renderProfile(
  summary: ProfileSummary,
  context: { seconds: number; load: number[]; file: string; events: number | null },
): string {
  const out: string[] = [];
  out.push('# cdc-fanout CPU profile (catch-up)');
  out.push('');
  out.push(
    `\`node --cpu-prof --import tsx src/cli/main.ts start\` catching up on the bench backlog for ${context.seconds.toFixed(0)} s, both sinks in one process, LOG_LEVEL=warn; load average at start ${formatLoad(context.load)}. Profile: ${context.file} (not committed). Total ${formatNumber(summary.totalMs / 1000, 1)} s, busy ${formatNumber(summary.busyMs / 1000, 1)} s, idle ${formatNumber(summary.idleMs / 1000, 1)} s${context.events ? `; ${formatNumber(context.events)} events consumed (both pipelines), ${formatNumber((summary.busyMs * 1000) / context.events, 1)} µs busy per event` : ''}.`,
  );
  out.push('');
  out.push('## Self time by package or source file');
  out.push('');
  out.push(
    markdownTable(
      ['package / file', 'self ms', 'share of busy'],
      summary.groups.map((group) => [group.group, formatNumber(group.selfMs), formatShare(group.share)]),
    ),
  );
  out.push('');
  out.push('## Top functions by self time');
  out.push('');
  out.push(
    markdownTable(
      ['function', 'script', 'self ms', 'share of busy'],
      summary.functions.map((entry) => [
        entry.functionName,
        entry.url || '(V8)',
        formatNumber(entry.selfMs),
        formatShare(entry.share),
      ]),
    ),
  );
  out.push('');
  return `${out.join('\n')}\n`;
}
