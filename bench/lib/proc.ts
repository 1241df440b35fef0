// Pure parsers of the Linux /proc files the benchmark samples, and a sampler of one process's CPU
// time and resident memory.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

/** utime + stime of /proc/<pid>/stat, in clock ticks. The command name may hold spaces and ')'. */
export function parseStatCpuTicks(stat: string): number {
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error('not a /proc/<pid>/stat line');
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15 (1-based).
  const fields = stat
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

/** A "Name:   1234 kB" field of /proc/<pid>/status or /proc/meminfo, in bytes; null when absent. */
export function parseKbField(text: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** The first "model name" of /proc/cpuinfo. */
export function parseCpuModel(cpuinfo: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}

/** The three load averages of /proc/loadavg. */
export function parseLoadAverage(loadavg: string): [number, number, number] {
  const [one, five, fifteen] = loadavg.trim().split(/\s+/).map(Number);
  return [one ?? NaN, five ?? NaN, fifteen ?? NaN];
}

export async function loadAverage(): Promise<[number, number, number]> {
  return parseLoadAverage(await readFile('/proc/loadavg', 'utf8'));
}

let ticks: number | null = null;
export function clockTicksPerSecond(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcessUsage {
  readonly cpuSeconds: number;
  readonly rssBytes: number | null;
}

export async function readUsage(pid: number): Promise<ProcessUsage | null> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    return {
      cpuSeconds: parseStatCpuTicks(stat) / clockTicksPerSecond(),
      rssBytes: parseKbField(status, 'VmRSS'),
    };
  } catch {
    return null;
  }
}

/** Samples a process every `intervalMs`: its latest CPU time and its peak resident memory. */
export class UsageSampler {
  private timer: NodeJS.Timeout | null = null;
  cpuSeconds = 0;
  peakRssBytes = 0;
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    const tick = async () => {
      const usage = await readUsage(this.pid);
      if (usage) {
        this.samples++;
        this.cpuSeconds = usage.cpuSeconds;
        if (usage.rssBytes !== null) this.peakRssBytes = Math.max(this.peakRssBytes, usage.rssBytes);
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.intervalMs);
  }

  /** One last sample, then stops. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const usage = await readUsage(this.pid);
    if (usage) {
      this.cpuSeconds = usage.cpuSeconds;
      if (usage.rssBytes !== null) this.peakRssBytes = Math.max(this.peakRssBytes, usage.rssBytes);
    }
  }
}

/** Busy and total ticks of all CPUs together, from the "cpu" line of /proc/stat. */
export function parseCpuTimes(stat: string): { busy: number; total: number } {
  const line = /^cpu\s+(.+)$/m.exec(stat)?.[1];
  if (!line) throw new Error('/proc/stat has no "cpu" line');
  const ticks = line.trim().split(/\s+/).map(Number);
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t)))
    throw new Error(`odd /proc/stat cpu line: ${line}`);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: total - ticks[3]! - (ticks[4] ?? 0), total };
}

/**
 * Waits until the machine's CPUs were at most `maxBusy` (a share, 0-1) busy over one second, for at
 * most `timeoutMs`; answers the last second's busy share. A measurement that starts right after
 * another one meets its after-work: Elasticsearch refreshes and merges for seconds after a bulk
 * pass, and a MongoDB pass measured then got 12,701 docs/s against 25,381-35,860 on a quiet machine.
 */
export async function settle(maxBusy = 0.15, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let before = parseCpuTimes(await readFile('/proc/stat', 'utf8'));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = parseCpuTimes(await readFile('/proc/stat', 'utf8'));
    const busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    if (busy <= maxBusy || Date.now() >= deadline) return busy;
    before = now;
  }
}
