// Runs the real service (`src/cli/main.ts start`) as a child process of node itself (so its pid is
// the service's, for /proc sampling, and --cpu-prof can be passed), scrapes its /metrics and reads
// its groups' committed offsets.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { parseSamples, type Sample } from './prom.js';
import { ROOT } from './source.js';
import type { TopicCount } from './source.js';

export const SINKS = ['elasticsearch', 'mongodb'] as const;
export type BenchSink = (typeof SINKS)[number];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ServiceRunIds {
  readonly runId: string;
  readonly groupBase: string;
  readonly indexPrefix: string;
  readonly mongoDatabase: string;
  readonly deadLetterTopic: string;
}

export function runIds(label: string): ServiceRunIds {
  const runId = `bench-${label}-${Date.now().toString(36)}`;
  return {
    runId,
    groupBase: runId,
    indexPrefix: `${runId}-`,
    mongoDatabase: runId.replace(/-/g, '_'),
    deadLetterTopic: `${runId}.dead-letter`,
  };
}

/**
 * The Node flags the image starts the service with (the Dockerfile's CMD), so that a compiled run
 * measures the service exactly as deployed.
 */
export async function imageNodeFlags(): Promise<string[]> {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const command = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!command) throw new Error('Dockerfile: no CMD in exec form');
  const args = JSON.parse(command) as string[];
  const script = args.indexOf('dist/src/cli/main.js');
  if (args[0] !== 'node' || script < 0) throw new Error(`Dockerfile: unexpected CMD ${command}`);
  return args.slice(1, script);
}

export class BenchService {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  readonly output: string[] = [];
  port = 0;

  /**
   * `compiledFlags`: run the built dist/ with these Node flags instead of the image's (a flag
   * experiment); otherwise BENCH_COMPILED decides, as below.
   */
  constructor(
    readonly env: Record<string, string>,
    private readonly nodeArgs: readonly string[] = [],
    private readonly compiledFlags: readonly string[] | null = null,
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    // BENCH_COMPILED=1 (run.ts --compiled): the built dist/, as the image runs it, without tsx.
    const entry = this.compiledFlags
      ? [...this.compiledFlags, 'dist/src/cli/main.js']
      : process.env.BENCH_COMPILED === '1'
        ? [...(await imageNodeFlags()), 'dist/src/cli/main.js']
        : ['--import', 'tsx', 'src/cli/main.ts'];
    const child = spawn(process.execPath, [...this.nodeArgs, ...entry, 'start'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, HTTP_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
        if (this.output.length > 500) this.output.splice(0, this.output.length - 500);
      });
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`service exited at start: ${this.output.slice(-5).join('\n')}`);
      if ((await this.get('/healthz').catch(() => null))?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('service did not answer /healthz within 60 s');
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.text() };
  }

  async metrics(): Promise<Sample[]> {
    return parseSamples((await this.get('/metrics')).body);
  }

  async stop(timeoutMs = 60_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Records between each group's committed offsets and the topics' end offsets, per group. */
export async function groupLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  ends: TopicCount['ends'],
): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let lag = 0n;
  for (const { topic, partitions } of offsets) {
    for (const { partition, offset } of partitions) {
      const end = ends[topic]?.[partition] ?? 0n;
      const committed = offset === '-1' ? 0n : BigInt(offset);
      if (end > committed) lag += end - committed;
    }
  }
  return Number(lag);
}
