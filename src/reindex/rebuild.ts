// The steps every reindex shares, whatever the sink: wait until the running instances write to
// the new target too, backfill it from Postgres (resumable from a saved cursor), and verify it
// against Postgres before readers are switched to it.
import type pg from 'pg';
import { ReindexError } from '../errors.js';
import { resyncTable, type ResyncProgress } from '../resync/resync.js';
import type { TableRoute } from '../router/router.js';
import type { Sink } from '../sinks/sink.js';
import type { SinkReader } from '../verify/sink-readers.js';
import { verifyTable, type TableReport } from '../verify/verify.js';

const VERIFY_PAUSE_MS = 2000;
/** How often the backfill's cursor is saved: a crash redoes at most this much of it. */
const CURSOR_SAVE_MS = 1000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RebuildOptions {
  /** One line on what the reindex is doing (waiting, resuming, switching). */
  readonly onStatus: (line: string) => void;
  readonly onProgress?: (progress: ResyncProgress) => void;
  readonly verifyAttempts?: number;
  readonly pageSize?: number;
}

/** What a reindex keeps of its backfill in its saved state. */
export interface BackfillState {
  /** Rows the backfill wrote so far, over every run. */
  readonly backfilledRows?: number;
  /** The primary key (as Postgres prints it) of the last row the backfill wrote. */
  readonly cursor?: readonly string[];
}

/**
 * Instances find a reindex within one discovery interval of its start: from twice that on, every
 * change written reaches the new target too, so the backfill's snapshot may begin.
 */
export async function waitForDualWrite(
  createdAtMs: number,
  discoveryMs: number,
  target: string,
  onStatus: (line: string) => void,
): Promise<void> {
  const left = createdAtMs + 2 * discoveryMs - Date.now();
  if (left <= 0) return;
  onStatus(`waiting ${Math.ceil(left / 1000)}s until every running instance writes to ${target} too`);
  await sleep(left);
}

/**
 * Writes the table into `target` as resync does, going on after the saved cursor, and saves the
 * cursor as it goes. Answers the state with the rows counted, the rows this run wrote and its time.
 */
export async function backfill<S extends BackfillState>(
  client: pg.ClientBase,
  sink: Sink,
  reader: SinkReader,
  route: TableRoute,
  target: string,
  state: S,
  save: (state: S) => Promise<void>,
  options: RebuildOptions,
): Promise<{ state: S; rows: number; backfillMs: number }> {
  const started = Date.now();
  const earlier = state.cursor ? (state.backfilledRows ?? 0) : 0;
  if (state.cursor)
    options.onStatus(`the backfill goes on after ${earlier} rows (key ${state.cursor.join(', ')})`);
  let current = state;
  let savedAt = 0;
  const result = await resyncTable(
    client,
    sink,
    reader,
    { ...route, target },
    {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      ...(state.cursor ? { after: state.cursor } : {}),
      onPage: async (cursor, written) => {
        if (Date.now() - savedAt < CURSOR_SAVE_MS) return;
        savedAt = Date.now();
        current = { ...current, cursor: [...cursor], backfilledRows: earlier + written };
        await save(current);
      },
    },
  );
  if (result.failures.length > 0)
    throw new ReindexError(
      `${result.failures.length} documents could not be written to ${target} (first: ${result.failures[0]!.id}: ${result.failures[0]!.error}); nothing switched, rerun to try again`,
    );
  return {
    state: { ...current, backfilledRows: earlier + result.rows },
    rows: result.rows,
    backfillMs: Date.now() - started,
  };
}

function problems(report: TableReport): number {
  return report.missing.count + report.extra.count + report.different.count;
}

/**
 * No further from Postgres than the live target, kind by kind: after a change of the table's
 * settings every live document differs, which must not excuse a new target missing rows.
 */
export function noWorse(report: TableReport, live: TableReport): boolean {
  return (
    report.missing.count + report.extra.count <= live.missing.count + live.extra.count &&
    report.different.count <= live.different.count
  );
}

/**
 * The new target may differ from Postgres while changes are in flight, as the live one does. It
 * passes when it is equal, or no further from Postgres than what readers see now; `unchanged`
 * says what stays as it is when it does not.
 */
export async function verifyRebuilt(
  client: pg.ClientBase,
  reader: SinkReader,
  route: TableRoute,
  target: string,
  options: RebuildOptions,
  unchanged: string,
): Promise<void> {
  const attempts = options.verifyAttempts ?? 10;
  let report: TableReport | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    report = await verifyTable(client, reader, { ...route, target });
    if (report.ok) return;
    const current = await verifyTable(client, reader, route);
    if (noWorse(report, current)) {
      options.onStatus(
        `${target} differs from Postgres in ${problems(report)} documents, ${route.target} in ${problems(current)}: changes in flight`,
      );
      return;
    }
    options.onStatus(
      `verify ${attempt}/${attempts}: ${target} differs from Postgres in ${problems(report)} documents (missing ${report.missing.count}, extra ${report.extra.count}, different ${report.different.count}), ${route.target} in ${problems(current)}`,
    );
    if (attempt < attempts) await sleep(VERIFY_PAUSE_MS);
  }
  throw new ReindexError(
    `${target} does not match Postgres (missing ${report!.missing.count}, extra ${report!.extra.count}, different ${report!.different.count}); ${unchanged}. Rerun to verify again`,
  );
}
