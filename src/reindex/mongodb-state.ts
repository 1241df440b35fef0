// Where a MongoDB reindex stands, one record per live collection in the control collection
// `_cdc_fanout_reindexes` of the sink's database. The record is also the announcement: while its
// phase is backfill or verify, every running instance writes each change to the new collection
// too; while it is pausing, no instance writes the collection at all (its writes fail as
// transient and are retried) so that the rename meets no write (src/sinks/mongodb/dual-write.ts).
// A rerun after a crash, from any machine, finds it there.
import type { ReindexPhase } from './state.js';

export type MongoReindexPhase = ReindexPhase | 'pausing';

export const REINDEX_COLLECTION = '_cdc_fanout_reindexes';

/**
 * The index the reindex puts on the new collection besides the live collection's own: after the
 * rename it tells a rerun that the live name already holds the new collection. A collection an
 * instance re-creates under the new name after the rename (see dual-write.ts) never has it.
 */
export const SWITCH_MARKER_INDEX = '_cdc_fanout_reindexed';

export interface MongoReindexState {
  /** The live collection being rebuilt. */
  readonly _id: string;
  readonly phase: MongoReindexPhase;
  /** The collection being built, `<live>_v<version>`, renamed over the live one at the switch. */
  readonly shadow: string;
  readonly version: number;
  /** When the record appeared: every instance writes to the shadow within two discovery intervals. */
  readonly createdAtMs: number;
  /** When the writes were paused: every instance holds them back within two discovery intervals. */
  readonly pausedAtMs?: number;
  /** When the live name took the shadow: the instances write to it again within one interval. */
  readonly switchedAtMs?: number;
  /** Rows the backfill wrote so far, over every run. */
  readonly backfilledRows?: number;
  /** The primary key (as Postgres prints it) of the last row the backfill wrote. */
  readonly cursor?: readonly string[];
}

const PHASES: readonly MongoReindexPhase[] = ['backfill', 'verify', 'pausing', 'switched', 'done'];
/** The phases in which instances write to the shadow as well, or hold the writes back. */
const DUAL_WRITING: readonly MongoReindexPhase[] = ['backfill', 'verify'];
const RUNNING: readonly MongoReindexPhase[] = [...DUAL_WRITING, 'pausing'];

export function shadowName(live: string, version: number): string {
  return `${live}_v${version}`;
}

/** The version after the highest `<live>_v<N>` among `collections` and `recorded` (1 when none). */
export function nextShadowVersion(live: string, collections: readonly string[], recorded = 0): number {
  let highest = recorded;
  for (const name of collections) {
    if (!name.startsWith(`${live}_v`)) continue;
    const digits = name.slice(live.length + 2);
    if (/^[1-9]\d*$/.test(digits)) highest = Math.max(highest, Number(digits));
  }
  return highest + 1;
}

/** A record read from the control collection, or undefined when it is not one (or unreadable). */
export function parseState(raw: unknown): MongoReindexState | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { _id, phase, shadow, version, createdAtMs, pausedAtMs, switchedAtMs, backfilledRows, cursor } =
    raw as Record<string, unknown>;
  if (typeof _id !== 'string' || typeof shadow !== 'string' || !PHASES.includes(phase as MongoReindexPhase))
    return undefined;
  if (typeof version !== 'number' || typeof createdAtMs !== 'number') return undefined;
  return {
    _id,
    phase: phase as MongoReindexPhase,
    shadow,
    version,
    createdAtMs,
    ...(typeof pausedAtMs === 'number' ? { pausedAtMs } : {}),
    ...(typeof switchedAtMs === 'number' ? { switchedAtMs } : {}),
    ...(typeof backfilledRows === 'number' ? { backfilledRows } : {}),
    ...(Array.isArray(cursor) && cursor.length > 0 && cursor.every((part) => typeof part === 'string')
      ? { cursor: cursor as string[] }
      : {}),
  };
}

/** What an instance does with a collection under reindex: write its shadow too, or hold back. */
export type ReindexRoute = { readonly shadow: string; readonly paused: boolean };

/** The running reindexes among the control records, by live collection. */
export function reindexRoutes(records: readonly unknown[]): Map<string, ReindexRoute> {
  const routes = new Map<string, ReindexRoute>();
  for (const record of records) {
    const state = parseState(record);
    if (state && RUNNING.includes(state.phase))
      routes.set(state._id, { shadow: state.shadow, paused: state.phase === 'pausing' });
  }
  return routes;
}

/** The filter that finds the records `reindexRoutes` keeps. */
export const RUNNING_FILTER = { phase: { $in: [...RUNNING] } } as const;
