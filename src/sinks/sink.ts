// The one interface every sink implements. A batch write answers per operation, so that only the
// operations that failed are retried (transient) or dead-lettered (permanent).
import type { DecimalMode, SinkName } from '../config/tables.js';
import type { RowChange } from '../decoder/types.js';
import type { CdcFanoutError } from '../errors.js';
import type { Document } from '../router/document.js';

/**
 * Where a snapshot read (`op r`) is written: below every WAL position, since Postgres never writes
 * below 0/1000000 (its first WAL segment is not used). A snapshot's own LSN is no commit order: a
 * transaction open across the snapshot changes a row at a lower LSN and commits after it, so its
 * change, streamed after the read, would be refused as older and the document would keep the
 * pre-transaction row. At this position every streamed change replaces what a snapshot wrote, and
 * a snapshot only fills in documents that are missing, were written without a position (by
 * someone else) or by a snapshot themselves (a later snapshot refreshes them: positions equal to
 * this one replace each other). A document the stream wrote is never replaced by a snapshot; to
 * repair drift, `resync` writes at a WAL position taken once older transactions ended.
 */
export const SNAPSHOT_POSITION = 0xffffffn;

interface OpBase {
  /** Index or collection. */
  readonly target: string;
  /** Document id: the primary key, see DocKey.id. */
  readonly id: string;
  /**
   * The event's LSN (SNAPSHOT_POSITION for a snapshot read): a write never replaces a document
   * stored at a larger one, nor at an equal one unless both are snapshot positions.
   */
  readonly position: bigint;
  /** The (last) event this operation stands for: latency, logs and dead letters refer to it. */
  readonly event: OpOrigin;
}

/**
 * What an operation keeps of its event: not the event itself, whose row images and key would live
 * as long as the operation (until the batch is committed) though no stage reads them after planning.
 */
export type OpOrigin = Pick<RowChange, 'table' | 'position' | 'record' | 'columnTypes'>;

export interface UpsertOp extends OpBase {
  readonly kind: 'upsert';
  /** Read again after release(), it is decoded anew from the event's record. */
  readonly document: Document;
  /**
   * Lets go of the document once the sink holds what it sends (its BSON or NDJSON): kept until the
   * reply, the document would outlive several young-generation collections, each copying it. Absent
   * when the document cannot be decoded again (made from Postgres by resync, or merged from several
   * changes).
   */
  release?(): void;
  /** Fields of the columns Debezium could not read (unchanged TOAST): the sink keeps their stored values. */
  readonly unchangedColumns: readonly string[];
  /** How the route writes decimals ('string' when unset): a sink may map the fields by it. */
  readonly decimal?: DecimalMode;
  /**
   * Column -> document field for the columns the target renames (unset: none): a sink that maps
   * fields by the columns' declared types finds each column's field through it.
   * `unchangedColumns` are field names already.
   */
  readonly renames?: ReadonlyMap<string, string>;
}

export interface DeleteOp extends OpBase {
  readonly kind: 'delete';
}

export type SinkOp = UpsertOp | DeleteOp;

/**
 * A plain copy of an upsert with some of its parts replaced. Spelled out, not spread: a spread
 * would drop a document that its class reads through a getter (src/pipeline/reloadable-upsert.ts).
 */
export function upsertWith(
  op: UpsertOp,
  changes: { target?: string; document?: Document; unchangedColumns?: readonly string[] },
): UpsertOp {
  const copy: UpsertOp = {
    kind: 'upsert',
    target: changes.target ?? op.target,
    id: op.id,
    position: op.position,
    event: op.event,
    document: changes.document ?? op.document,
    unchangedColumns: changes.unchangedColumns ?? op.unchangedColumns,
    decimal: op.decimal,
  };
  return op.renames ? { ...copy, renames: op.renames } : copy;
}

/** The same operation for another target: a reindex's copy, a dual write's shadow. */
export function withTarget(op: SinkOp, target: string): SinkOp {
  return op.kind === 'upsert' ? upsertWith(op, { target }) : { ...op, target };
}

/**
 * Where a table was last truncated, kept in the sink so that every instance sees it: a change from
 * before the TRUNCATE that is written after it (Debezium sends the truncate with no key, so on a
 * topic of several partitions the older changes of the other partitions may come later) is undone.
 */
export interface TruncateMark {
  readonly position: bigint;
  /** The truncate's commit time: snapshot reads (all at SNAPSHOT_POSITION) are compared by it. */
  readonly commitTsMs: number;
}

/** Whether a written operation holds a change from before the truncate that left `mark`. */
export function predatesTruncate(op: SinkOp, mark: TruncateMark): boolean {
  return op.position === SNAPSHOT_POSITION
    ? op.event.position.commitTsMs < mark.commitTsMs
    : op.position < mark.position;
}

export type SinkOpResult =
  | { readonly status: 'written' }
  /** A newer position is already stored: the operation is done, nothing to change. */
  | { readonly status: 'stale' }
  | { readonly status: 'failed'; readonly error: CdcFanoutError };

export interface Sink {
  readonly name: SinkName;
  /** Connects and prepares what the sink needs; throws a transient error while unreachable. */
  connect(): Promise<void>;
  /** Cheap reachability check for /readyz and the sink-up metric. */
  ping(): Promise<boolean>;
  /** Writes the operations (at most one per id) and answers one result per operation, in order. */
  write(ops: readonly SinkOp[]): Promise<SinkOpResult[]>;
  /**
   * TRUNCATE: records the mark (never lowering the one stored), then deletes the target's
   * documents stored at a position below it. The order matters: a write made before the mark was
   * recorded is deleted here; one made after sees the mark (truncateMarks) and is undone.
   */
  truncate(target: string, mark: TruncateMark): Promise<void>;
  /** The truncate marks of these targets; a target never truncated has none. */
  truncateMarks(targets: readonly string[]): Promise<Map<string, TruncateMark>>;
  close(): Promise<void>;
}
