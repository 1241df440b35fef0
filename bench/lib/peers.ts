// The benchmark peers of bench/peers (written separately): each is installed, then run on the same
// backlog the service caught up on. A peer whose install or run fails is reported as
// "not available: <reason>", never a failed benchmark. The types below mirror bench/peers/peer.ts,
// which is loaded at run time only, so this file compiles whether the peers exist or not.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_PROCESS, startStackMeter, type CpuSplit } from './cpu-split.js';
import { ROOT } from './source.js';

export interface PeerRunOptions {
  readonly runId: string;
  readonly topics: readonly string[];
  readonly expectedEvents: number;
  readonly timeoutMs: number;
}

export interface PeerResultLike {
  readonly peer: string;
  readonly sink: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly correct: boolean;
  readonly correctness: string;
  readonly note?: string;
}

export interface PeerLike {
  readonly name?: string;
  readonly sink?: string;
  install(): Promise<unknown>;
  run(options: PeerRunOptions): Promise<PeerResultLike>;
  /** Removes what run() left (connector, group, index / database). */
  cleanup?(runId: string): Promise<unknown>;
}

export interface PeerOutcome {
  readonly peer: string;
  readonly sink: string;
  readonly available: boolean;
  /** "not available: <reason>" when the peer could not be installed or run. */
  readonly status: string;
  readonly result: PeerResultLike | null;
  readonly installSeconds: number;
  /**
   * The run's CPU by process (not the install's): a Kafka Connect peer works in the stack's
   * `connect` worker; a peer process the bench spawns counts under `bench`, with the correctness
   * check the bench runs at the end.
   */
  readonly cpuSplit?: CpuSplit;
}

const PEERS_DIR = join(ROOT, 'bench', 'peers');

function isPeer(value: unknown): value is PeerLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PeerLike).install === 'function' &&
    typeof (value as PeerLike).run === 'function'
  );
}

/** Peer objects among a module's exports: objects, arrays of them, classes or factories making them. */
function peersIn(exports: Record<string, unknown>): PeerLike[] {
  const found: PeerLike[] = [];
  const consider = (value: unknown) => {
    if (isPeer(value)) found.push(value);
    else if (Array.isArray(value)) value.forEach(consider);
    else if (typeof value === 'function' && value.length === 0) {
      const proto = (value as { prototype?: Record<string, unknown> }).prototype;
      if (proto && typeof proto.run === 'function' && typeof proto.install === 'function') {
        try {
          consider(new (value as new () => unknown)());
        } catch {
          // A class that needs arguments is not a ready peer.
        }
      }
    }
  };
  Object.values(exports).forEach(consider);
  return found;
}

export async function discoverPeers(): Promise<{ peers: PeerLike[]; note: string }> {
  if (!existsSync(PEERS_DIR)) return { peers: [], note: 'bench/peers does not exist' };
  const index = ['index.ts', 'index.js']
    .map((file) => join(PEERS_DIR, file))
    .find((file) => existsSync(file));
  const files = index
    ? [index]
    : (await readdir(PEERS_DIR))
        .filter((file) => /\.(ts|js)$/.test(file) && !/\.test\./.test(file) && !/^peer\.(ts|js)$/.test(file))
        .map((file) => join(PEERS_DIR, file));
  const peers: PeerLike[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      peers.push(...peersIn((await import(pathToFileURL(file).href)) as Record<string, unknown>));
    } catch (error) {
      problems.push(
        `${file.slice(ROOT.length + 1)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const unique = [...new Set(peers)];
  return {
    peers: unique,
    note: problems.length > 0 ? `could not load ${problems.join('; ')}` : `${unique.length} peer(s) found`,
  };
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, 3).join(' ').slice(0, 400);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runPeer(
  peer: PeerLike,
  options: PeerRunOptions,
  limits: { installMs: number },
): Promise<PeerOutcome> {
  const name = peer.name ?? peer.constructor?.name ?? 'peer';
  const sink = peer.sink ?? '?';
  const started = performance.now();
  try {
    await withTimeout(peer.install(), limits.installMs, `${name} install`);
  } catch (error) {
    return {
      peer: name,
      sink,
      available: false,
      status: `not available: install failed: ${reason(error)}`,
      result: null,
      installSeconds: (performance.now() - started) / 1000,
    };
  }
  const installSeconds = (performance.now() - started) / 1000;
  const meter = await startStackMeter(BENCH_PROCESS, process.pid);
  try {
    const result = await withTimeout(peer.run(options), options.timeoutMs + 60_000, `${name} run`);
    return {
      peer: result.peer || name,
      sink: result.sink || sink,
      available: true,
      status: 'ran',
      result,
      installSeconds,
      cpuSplit: await meter.stop(),
    };
  } catch (error) {
    return {
      peer: name,
      sink,
      available: false,
      status: `not available: run failed: ${reason(error)}`,
      result: null,
      installSeconds,
    };
  }
}
