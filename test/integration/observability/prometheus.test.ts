// A real Prometheus (Debian's package, installed by stack/components/prometheus.sh when missing)
// scrapes the real service with the repository's scrape config, retargeted at it: the cdc-fanout
// series arrive, the target is up, every Grafana dashboard query evaluates, and promtool lints the
// service's /metrics.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { MongoClient } from 'mongodb';
import { parseDocument } from 'yaml';
import { deleteIndices, dropDatabases } from '../support/cleanup.js';
import { ServiceProcess } from '../support/service.js';
import { elasticsearch, mongodb, uniqueRunId } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SINKS = ['elasticsearch', 'mongodb'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    // A child that exits before reading its input (bash running a short script) closes the pipe
    // first, and the write fails with EPIPE: its exit code and output already say how it went.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(input ?? '');
  });
}

/** Installs Debian's prometheus when missing, through the stack's own component; its two binaries. */
async function installPrometheus(): Promise<{ prometheus: string; promtool: string }> {
  const script =
    'source stack/lib.sh && source stack/components/prometheus.sh && prometheus_install && prometheus_bin && promtool_bin';
  const result = await run('bash', ['-c', script]);
  const [prometheus, promtool] = result.stdout.trim().split('\n');
  assert.ok(
    result.code === 0 && prometheus && promtool,
    `Prometheus is required and could not be installed by stack/components/prometheus.sh ` +
      `(prometheus_install, Debian's prometheus package; exit ${result.code}):\n${result.stderr}${result.stdout}`,
  );
  return { prometheus, promtool };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

/** Calls `attempt` until it returns without throwing; on timeout, throws its last error. */
async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what} within ${timeoutMs} ms: ${error instanceof Error ? error.message : error}`, {
          cause: error,
        });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface ApiReply<T> {
  readonly status: 'success' | 'error';
  readonly data: T;
  readonly error?: string;
}
interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}
interface TargetsData {
  readonly activeTargets: {
    readonly labels: Record<string, string>;
    readonly scrapePool: string;
    readonly scrapeUrl: string;
    readonly health: string;
    readonly lastError: string;
  }[];
}

/** One Prometheus server on 127.0.0.1, with its own config and storage in a temporary directory. */
class PrometheusProcess {
  readonly output: string[] = [];
  port = 0;
  private child: ChildProcess | null = null;
  private dir = '';

  constructor(private readonly binary: string) {}

  get configFile(): string {
    return join(this.dir, 'prometheus.yml');
  }

  async prepare(config: string): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'cdc-fanout-prometheus-'));
    await writeFile(this.configFile, config);
  }

  async start(): Promise<void> {
    // A free port can be taken between the probe and prometheus binding it: try another.
    for (let attempt = 1; ; attempt += 1) {
      this.port = await freePort();
      this.output.length = 0;
      const child = spawn(
        this.binary,
        [
          `--config.file=${this.configFile}`,
          `--storage.tsdb.path=${join(this.dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${this.port}`,
          '--log.level=info',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.child = child;
      for (const stream of [child.stdout, child.stderr]) {
        stream.on('data', (chunk: Buffer) =>
          this.output.push(...chunk.toString().split('\n').filter(Boolean)),
        );
      }
      const ready = await eventually('prometheus ready', 30_000, async () => {
        if (child.exitCode !== null) return false;
        const response = await fetch(`http://127.0.0.1:${this.port}/-/ready`);
        if (response.status !== 200) throw new Error(`/-/ready answered ${response.status}`);
        return true;
      });
      if (ready) return;
      const log = this.output.join('\n');
      if (attempt < 3 && log.includes('address already in use')) continue;
      throw new Error(`prometheus exited with ${child.exitCode} during start:\n${log}`);
    }
  }

  async api<T>(path: string): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`);
    const reply = (await response.json()) as ApiReply<T>;
    if (reply.status !== 'success') throw new Error(`${path}: ${response.status} ${reply.error}`);
    return reply.data;
  }

  query(expr: string): Promise<{ resultType: string; result: VectorSample[] }> {
    return this.api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  /** Stops the server (SIGTERM, SIGKILL after 15 s) and removes its directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Last resort, if the test process exits without running `after`. */
  killNow(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

interface ScrapeConfig {
  global?: Record<string, unknown>;
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/** The repository's scrape config, its cdc-fanout job pointed at `target`, scraped every second. */
function localConfig(repositoryConfig: string, target: string): string {
  const config = parseDocument(repositoryConfig).toJS() as ScrapeConfig;
  const job = config.scrape_configs.find((c) => c.job_name === 'cdc-fanout');
  assert.ok(job, 'prometheus/prometheus.yml has no cdc-fanout job');
  assert.deepEqual(
    job.static_configs.flatMap((c) => c.targets),
    ['cdc-fanout:9464'],
    'prometheus/prometheus.yml is expected to scrape the compose service',
  );
  job.static_configs = [{ targets: [target] }];
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
  return JSON.stringify(config, null, 2);
}

/** Every query of the Grafana dashboard, with Grafana's interval variables made concrete. */
async function dashboardQueries(): Promise<{ title: string; expr: string }[]> {
  interface Panel {
    title?: string;
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const dashboard = JSON.parse(await readFile(join(ROOT, 'grafana/dashboards/cdc-fanout.json'), 'utf8')) as {
    panels: Panel[];
  };
  const flatten = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...flatten(p.panels ?? [])]);
  return flatten(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      title: panel.title ?? '?',
      expr: (target.expr ?? '').replace(/\$__rate_interval|\$__interval|\$__range/g, '1m'),
    })),
  );
}

describe('Prometheus scrapes the service', () => {
  const runId = uniqueRunId('prometheus');
  const env = {
    KAFKA_GROUP_ID_BASE: runId,
    ELASTICSEARCH_INDEX_PREFIX: `${runId}-`,
    MONGODB_DATABASE: runId,
    DEAD_LETTER_TOPIC: `${runId}.dead-letter`,
  };
  const service = new ServiceProcess(env);
  let binaries: { prometheus: string; promtool: string };
  let prometheus: PrometheusProcess | undefined;
  let mongo: MongoClient | undefined;
  const killPrometheus = () => prometheus?.killNow();

  before(async () => {
    binaries = await installPrometheus();
    mongo = await mongodb();
    await service.start();
    prometheus = new PrometheusProcess(binaries.prometheus);
    process.once('exit', killPrometheus);
    const repositoryConfig = await readFile(join(ROOT, 'prometheus/prometheus.yml'), 'utf8');
    await prometheus.prepare(localConfig(repositoryConfig, `127.0.0.1:${service.port}`));
    await prometheus.start();
  });

  after(async () => {
    await prometheus?.stop();
    process.removeListener('exit', killPrometheus);
    await service.kill('SIGTERM');
    await deleteIndices(elasticsearch(), `${runId}-*`);
    if (mongo) await dropDatabases(mongo, [runId]);
    await mongo?.close();
  });

  test('the repository scrape config and its local copy pass promtool check config', async () => {
    for (const file of [join(ROOT, 'prometheus/prometheus.yml'), prometheus!.configFile]) {
      const result = await run(binaries.promtool, ['check', 'config', file]);
      assert.equal(result.code, 0, `promtool check config ${file}:\n${result.stdout}${result.stderr}`);
    }
  });

  test('cdc_fanout_sink_up reaches Prometheus with value 1 for both sinks', async () => {
    const samples = await eventually('cdc_fanout_sink_up = 1 for both sinks', 90_000, async () => {
      const { resultType, result } = await prometheus!.query('cdc_fanout_sink_up');
      assert.equal(resultType, 'vector');
      const up = Object.fromEntries(result.map((s) => [s.metric.sink, s.value[1]]));
      assert.deepEqual(
        SINKS.map((sink) => up[sink]),
        SINKS.map(() => '1'),
        `cdc_fanout_sink_up: ${JSON.stringify(result)}`,
      );
      return result;
    });
    for (const sample of samples) {
      assert.equal(sample.metric.job, 'cdc-fanout');
      assert.equal(sample.metric.instance, `127.0.0.1:${service.port}`);
    }
  });

  test('/api/v1/targets shows the cdc-fanout target up', async () => {
    const targets = await eventually('the cdc-fanout target up', 30_000, async () => {
      const { activeTargets } = await prometheus!.api<TargetsData>('/api/v1/targets?state=active');
      const ours = activeTargets.filter((t) => t.labels.job === 'cdc-fanout');
      assert.equal(ours.length, 1, `active targets: ${JSON.stringify(activeTargets)}`);
      assert.equal(ours[0]!.health, 'up', `target: ${JSON.stringify(ours[0])}`);
      return ours;
    });
    assert.equal(targets[0]!.scrapeUrl, `http://127.0.0.1:${service.port}/metrics`);
    assert.equal(targets[0]!.lastError, '');
    const { result } = await prometheus!.query('up{job="cdc-fanout"}');
    assert.deepEqual(
      result.map((s) => s.value[1]),
      ['1'],
    );
  });

  test('every query of the Grafana dashboard evaluates against the scraped series', async () => {
    const queries = await dashboardQueries();
    assert.ok(queries.length > 0);
    const failures: string[] = [];
    for (const { title, expr } of queries) {
      await prometheus!.query(expr).catch((error: unknown) => failures.push(`"${title}": ${String(error)}`));
    }
    assert.deepEqual(failures, []);
    // The health panels have data as soon as the service is scraped.
    for (const expr of [
      'max by (sink) (cdc_fanout_pipeline_ready)',
      'cdc_fanout_process_resident_memory_bytes',
    ]) {
      assert.ok(queries.some((q) => q.expr === expr));
      const { result } = await prometheus!.query(expr);
      assert.ok(result.length > 0, `${expr} has no series in Prometheus`);
    }
  });

  test('promtool check metrics accepts the service /metrics', async () => {
    const { status, body } = await service.get('/metrics');
    assert.equal(status, 200);
    const result = await run(binaries.promtool, ['check', 'metrics'], body);
    const complaints = `${result.stdout}${result.stderr}`
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    assert.equal(result.code, 0, `promtool check metrics (exit ${result.code}):\n${complaints.join('\n')}`);
    assert.deepEqual(complaints, []);
  });
});
