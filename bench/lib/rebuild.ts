// Rebuilding one table as a user does it: `cdc-fanout resync` and `cdc-fanout reindex` run as
// commands (child processes, start-up included) on the bench backlog's largest table, into a
// run's own index prefix and Mongo database, with no service running.
import { spawn } from 'node:child_process';
import type pg from 'pg';
import { loadAverage } from './proc.js';
import type { BenchSink } from './service.js';
import { DEMO_TABLES, ROOT } from './source.js';

export interface RebuildStep {
  readonly sink: BenchSink;
  readonly command: 'resync' | 'reindex';
  /** What the step rebuilt into: an empty target, or the documents the previous step wrote. */
  readonly into: 'empty' | 'written';
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly exitCode: number | null;
  /** The command's last output lines (its summary, or why it failed). */
  readonly output: readonly string[];
  readonly load: { readonly start: number[]; readonly end: number[] };
}

export interface RebuildComparison {
  readonly table: string;
  readonly rows: number;
  /** ELASTICSEARCH_ and MONGODB_REINDEX_DISCOVERY_MS given to reindex (see discoveryWaits in report.ts). */
  readonly discoveryMs: number;
  readonly steps: RebuildStep[];
  /** Where the figures came from (e.g. a separate run merged into the results), one line each. */
  readonly notes: string[];
}

/** The demo table with the most rows in the source database. */
export async function largestTable(client: pg.ClientBase): Promise<{ table: string; rows: number }> {
  let largest = { table: '', rows: -1 };
  for (const table of DEMO_TABLES) {
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM inventory.${table}`,
    );
    const count = Number(rows[0]!.count);
    if (count > largest.rows) largest = { table: `inventory.${table}`, rows: count };
  }
  return largest;
}

/** Runs `cdc-fanout <args>` to its end; answers its exit code, wall time and last lines. */
export async function timeCommand(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ exitCode: number | null; seconds: number; output: string[] }> {
  const entry =
    process.env.BENCH_COMPILED === '1' ? ['dist/src/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const started = performance.now();
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      // The progress bar redraws with \r: only whole lines are kept.
      for (const line of chunk.toString().split(/[\r\n]/)) if (line.trim()) output.push(line.trim());
      if (output.length > 50) output.splice(0, output.length - 50);
    });
  }
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { exitCode, seconds: (performance.now() - started) / 1000, output: output.slice(-4) };
}

/** One command on `table` into `sink`, timed, with the load before and after. */
export async function rebuildStep(
  step: Pick<RebuildStep, 'sink' | 'command' | 'into'>,
  table: { table: string; rows: number },
  env: Record<string, string>,
): Promise<RebuildStep> {
  const start = await loadAverage();
  const args = [step.command, '--table', table.table, '--sink', step.sink];
  if (step.command === 'reindex') args.push('--grace', '0');
  const run = await timeCommand(args, env);
  return {
    ...step,
    rows: table.rows,
    seconds: run.seconds,
    rowsPerSecond: run.exitCode === 0 ? table.rows / run.seconds : 0,
    exitCode: run.exitCode,
    output: run.output,
    load: { start, end: await loadAverage() },
  };
}
