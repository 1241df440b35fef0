// Where a reindex stands, kept in the new index's mapping `_meta` (beside the truncate mark), so
// that a rerun after a crash, from any machine, finds it without a state file.
export const REINDEX_META = 'cdc_fanout_reindex';

export type ReindexPhase = 'backfill' | 'verify' | 'switched' | 'done';

const PHASES: readonly ReindexPhase[] = ['backfill', 'verify', 'switched', 'done'];

export interface ReindexState {
  readonly phase: ReindexPhase;
  /** The alias being reindexed. */
  readonly alias: string;
  /** The indices the alias fronted when the reindex began (or the plain index of that name). */
  readonly previous: readonly string[];
  /** When the reindex alias was created: instances write to it within two discovery intervals. */
  readonly createdAtMs: number;
  /** When the alias moved: the previous indices are deleted a grace period later. */
  readonly switchedAtMs?: number;
  /** Rows the backfill wrote so far, over every run. */
  readonly backfilledRows?: number;
  /** The primary key (as Postgres prints it) of the last row the backfill wrote. */
  readonly cursor?: readonly string[];
}

/** The state in an index mapping's `_meta`, or undefined when there is none (or it is unreadable). */
export function stateIn(meta: unknown): ReindexState | undefined {
  const raw = (meta as Record<string, unknown> | undefined)?.[REINDEX_META] as
    Record<string, unknown> | undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  const { phase, alias, previous, createdAtMs, switchedAtMs, backfilledRows, cursor } = raw;
  if (!PHASES.includes(phase as ReindexPhase) || typeof alias !== 'string') return undefined;
  if (!Array.isArray(previous) || !previous.every((index) => typeof index === 'string')) return undefined;
  if (typeof createdAtMs !== 'number') return undefined;
  return {
    phase: phase as ReindexPhase,
    alias,
    previous: previous as string[],
    createdAtMs,
    ...(typeof switchedAtMs === 'number' ? { switchedAtMs } : {}),
    ...(typeof backfilledRows === 'number' ? { backfilledRows } : {}),
    ...(Array.isArray(cursor) && cursor.length > 0 && cursor.every((part) => typeof part === 'string')
      ? { cursor: cursor as string[] }
      : {}),
  };
}

/** `meta` with the state put in, keeping every other key (PUT _mapping replaces `_meta` whole). */
export function withState(meta: unknown, state: ReindexState): Record<string, unknown> {
  return { ...((meta as Record<string, unknown> | undefined) ?? {}), [REINDEX_META]: { ...state } };
}
