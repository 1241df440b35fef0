// Where a measurement's CPU went. On this 2-core machine the service, the broker and the sink's
// server share the cores, so a sink's events/s is bounded by the sum of their CPU per event, not by
// the service alone: a ratio against the raw pass (which gives the server the cores by itself) is
// only read right next to this split. Each stack component is its recorded pid and every process
// below it (Postgres backends run in sessions of their own, so a session would miss them).
//
// CPU seconds alone do not say whether a process was short of work or short of a core. The
// scheduler's own account (/proc/<pid>/task/<tid>/schedstat) does: how long each thread ran and how
// long it sat runnable, waiting for a CPU. A service whose main thread waits a quarter of the window
// for a core is bound by the machine, not by its own design.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clockTicksPerSecond, parseCpuTimes } from './proc.js';
import { ROOT } from './source.js';

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /**
   * utime + stime + cutime + cstime, in clock ticks: the process's own CPU and that of its children
   * that exited and were reaped (a peer process the bench ran and stopped, a Postgres backend that
   * closed), which would otherwise leave the tree's sum when they leave /proc.
   */
  readonly ticks: number;
}

/** pid, parent pid and CPU ticks (own and reaped children's) of one /proc/<pid>/stat line. */
export function parseProcStat(stat: string): ProcStat {
  const end = stat.lastIndexOf(')');
  const pid = Number(stat.slice(0, stat.indexOf(' (')));
  // Fields after "(comm)", 1-based: state 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const [ppid, utime, stime, cutime, cstime] = [4, 14, 15, 16, 17].map((field) => Number(fields[field - 3]));
  if (end < 0 || !Number.isInteger(pid) || ![ppid, utime, stime, cutime, cstime].every(Number.isInteger))
    throw new Error('not a /proc/<pid>/stat line');
  return { pid, ppid: ppid!, ticks: utime! + stime! + cutime! + cstime! };
}

const ticksOf = (processes: readonly ProcStat[]) => processes.reduce((sum, stat) => sum + stat.ticks, 0);

/** `root` and all its descendants; none when `root` is not among `stats`. */
export function treeOf(stats: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const stat of stats) {
    byPid.set(stat.pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const top = byPid.get(root);
  if (!top) return [];
  const tree: ProcStat[] = [];
  const pending = [top];
  for (let next = pending.pop(); next; next = pending.pop()) {
    tree.push(next);
    pending.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

/** Nanoseconds a thread ran on a CPU and sat runnable waiting for one (since it started). */
export interface ThreadTimes {
  readonly runNs: number;
  readonly waitNs: number;
}

/** The first two fields of a /proc/<pid>/task/<tid>/schedstat line: run time, run-queue wait. */
export function parseSchedstat(text: string): ThreadTimes {
  const [runNs, waitNs] = text.trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(runNs) || !Number.isSafeInteger(waitNs)) throw new Error('not a schedstat line');
  return { runNs: runNs!, waitNs: waitNs! };
}

/** Each thread's times by "pid/tid", for every process of `tree`; a thread that is gone is left out. */
async function threadTimes(tree: readonly ProcStat[]): Promise<Map<string, ThreadTimes>> {
  const times = new Map<string, ThreadTimes>();
  await Promise.all(
    tree.map(async ({ pid }) => {
      const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
      await Promise.all(
        tids.map((tid) =>
          readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').then(
            (text) => times.set(`${pid}/${tid}`, parseSchedstat(text)),
            () => undefined,
          ),
        ),
      );
    }),
  );
  return times;
}

/** Seconds run and waited for a CPU between two snapshots, by the threads alive at the second. */
export function threadSeconds(
  first: ReadonlyMap<string, ThreadTimes>,
  last: ReadonlyMap<string, ThreadTimes>,
  only: (thread: string) => boolean = () => true,
): { runSeconds: number; waitSeconds: number } {
  let runNs = 0;
  let waitNs = 0;
  for (const [thread, now] of last) {
    if (!only(thread)) continue;
    // A thread started within the window counts from its start.
    const before = first.get(thread) ?? { runNs: 0, waitNs: 0 };
    runNs += Math.max(0, now.runNs - before.runNs);
    waitNs += Math.max(0, now.waitNs - before.waitNs);
  }
  return { runSeconds: runNs / 1e9, waitSeconds: waitNs / 1e9 };
}

async function allProcStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseProcStat, () => null)),
  );
  return stats.filter((stat): stat is ProcStat => stat !== null);
}

/** The stack's components that are running, by name: stack/lib.sh's $STACK_DIR/run/<name>.pid. */
async function stackComponents(
  stackDir = process.env.STACK_DIR || join(ROOT, '.stack'),
): Promise<Map<string, number>> {
  const run = join(stackDir, 'run');
  const names = await readdir(run).catch(() => [] as string[]);
  const components = new Map<string, number>();
  for (const file of names.filter((name) => name.endsWith('.pid')).sort()) {
    const pid = Number((await readFile(join(run, file), 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0) components.set(file.slice(0, -'.pid'.length), pid);
  }
  return components;
}

export interface CpuShare {
  readonly name: string;
  readonly cpuSeconds: number;
  /**
   * How long its threads sat runnable, waiting for a CPU (summed over threads, so it may exceed
   * the window). Absent without schedstat, and in results measured before it was recorded.
   */
  readonly waitSeconds?: number;
}

/** The measured process's main thread (a Node process's JavaScript runs there alone). */
export interface MainThread {
  readonly name: string;
  readonly runSeconds: number;
  readonly waitSeconds: number;
}

export interface CpuSplit {
  readonly seconds: number;
  readonly cpus: number;
  /** Every CPU's busy time together (all processes, the kernel included). */
  readonly machineBusySeconds: number;
  /** The named processes, each with its descendants. */
  readonly processes: CpuShare[];
  readonly mainThread?: MainThread;
}

interface Snapshot {
  readonly at: number;
  readonly cpus: number;
  readonly machineBusyTicks: number;
  readonly byName: Map<string, number>;
  readonly threadsByName: Map<string, Map<string, ThreadTimes>>;
}

/**
 * Measures the named process trees and the machine between start() and stop(), and the main thread
 * of the process named `measured`.
 */
export class CpuSplitMeter {
  private first: Snapshot | null = null;

  constructor(
    private readonly named: ReadonlyMap<string, number>,
    private readonly measured: string | null = null,
  ) {}

  private async snapshot(): Promise<Snapshot> {
    const [stats, machine] = await Promise.all([allProcStats(), readFile('/proc/stat', 'utf8')]);
    const trees = [...this.named].map(([name, pid]) => [name, treeOf(stats, pid)] as const);
    const byName = new Map(trees.map(([name, tree]) => [name, ticksOf(tree)]));
    const threadsByName = new Map(
      await Promise.all(trees.map(async ([name, tree]) => [name, await threadTimes(tree)] as const)),
    );
    return {
      at: performance.now(),
      cpus: machine.split('\n').filter((line) => /^cpu\d+\s/.test(line)).length,
      machineBusyTicks: parseCpuTimes(machine).busy,
      byName,
      threadsByName,
    };
  }

  async start(): Promise<void> {
    this.first = await this.snapshot();
  }

  async stop(): Promise<CpuSplit> {
    if (!this.first) throw new Error('CpuSplitMeter stopped before it started');
    const last = await this.snapshot();
    const tick = clockTicksPerSecond();
    const first = this.first;
    const threads = (name: string, only?: (thread: string) => boolean) =>
      threadSeconds(
        first.threadsByName.get(name) ?? new Map(),
        last.threadsByName.get(name) ?? new Map(),
        only,
      );
    const anyThreads = [...last.threadsByName.values()].some((times) => times.size > 0);
    const measuredPid = this.measured === null ? undefined : this.named.get(this.measured);
    return {
      seconds: (last.at - first.at) / 1000,
      cpus: last.cpus,
      machineBusySeconds: (last.machineBusyTicks - first.machineBusyTicks) / tick,
      processes: [...this.named.keys()].map((name) => ({
        name,
        // Only a process that exited unreaped (its parent gone first) could make it fall: never below 0.
        cpuSeconds: Math.max(0, (last.byName.get(name) ?? 0) - (first.byName.get(name) ?? 0)) / tick,
        ...(anyThreads ? { waitSeconds: threads(name).waitSeconds } : {}),
      })),
      ...(anyThreads && this.measured !== null && measuredPid !== undefined
        ? {
            mainThread: {
              name: this.measured,
              ...threads(this.measured, (thread) => thread === `${measuredPid}/${measuredPid}`),
            },
          }
        : {}),
    };
  }
}

/** The bench's own process tree: the raw passes' writer, and the peers it spawns. */
export const BENCH_PROCESS = 'bench';
/** The service's process tree in a catch-up. */
export const SERVICE_PROCESS = 'cdc-fanout';

/** A started meter of one named process tree and every running stack component. */
export async function startStackMeter(name: string, pid: number): Promise<CpuSplitMeter> {
  const meter = new CpuSplitMeter(new Map([[name, pid], ...(await stackComponents())]), name);
  await meter.start();
  return meter;
}
