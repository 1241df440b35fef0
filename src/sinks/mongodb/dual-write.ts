// While `reindex --sink mongodb` builds a collection's replacement (src/reindex/mongodb.ts), every
// instance writes each change to it as well. The running reindexes are read from the control
// collection at most once per MONGODB_REINDEX_DISCOVERY_MS, before a batch (never in the
// background), so an instance follows a reindex's phase at most one interval late.
//
// The whole batch goes to the new collection FIRST, then to the live name. Before the rename the
// reindex pauses the collection's writes (they fail as transient and are retried, looking the
// phase up again each time) for two discovery intervals, and resumes them after it: no write meets
// the rename, and none goes to the new name after it. A batch that still straddles the rename
// (one slower than two intervals) wrote the new collection before it, and its live-name write
// lands in the renamed collection: nothing is lost. In the other order the live-name write could
// reach the old collection just before the rename drops it, and the copy only a stray collection
// under the new name after it (which the reindex drops; on an unpatched mongo-java-server such a
// write even corrupts the live collection's indexes, docs/mongodb-stand-in.md).
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { CdcFanoutError, TransientSinkError } from '../../errors.js';
import {
  REINDEX_COLLECTION,
  RUNNING_FILTER,
  reindexRoutes,
  type ReindexRoute,
} from '../../reindex/mongodb-state.js';
import type { Document } from '../../router/document.js';
import { combineResults } from '../elasticsearch/aliases.js';
import {
  upsertWith,
  withTarget,
  type Sink,
  type SinkOp,
  type SinkOpResult,
  type TruncateMark,
  type UpsertOp,
} from '../sink.js';
import { classifyRequestError } from './classify.js';
import { escapeFieldName } from './stored-form.js';
import { DELETED_FIELD } from './tombstone.js';

export interface DualWriteOptions {
  readonly discoveryMs: number;
  readonly logger: Logger;
}

type StoredFields = { _id: string } & Record<string, unknown>;

/**
 * A partial update (unchanged TOAST columns) copied to a collection that may not hold the row yet
 * would leave those columns out for good: the backfill writes below the stream's position and is
 * refused as stale. The copy takes their values from the live document, which holds the row
 * (unchanged columns are unchanged); a column the live document lacks stays partial there too.
 */
export function completeFromLive(op: UpsertOp, live: StoredFields | undefined): UpsertOp {
  if (op.unchangedColumns.length === 0 || !live || live[DELETED_FIELD] === true) return op;
  const document: Document = { ...op.document };
  const unknown: string[] = [];
  for (const column of op.unchangedColumns) {
    const field = escapeFieldName(column);
    if (Object.hasOwn(live, field)) document[column] = live[field] as Document[string];
    else unknown.push(column);
  }
  return upsertWith(op, { document, unchangedColumns: unknown });
}

export class DualWriteMongoSink implements Sink {
  readonly name = 'mongodb' as const;
  /** The running reindexes (by live collection) as last looked up, and when. */
  private known: { readonly targets: ReadonlyMap<string, ReindexRoute>; readonly atMs: number } | null = null;
  private lookup: Promise<ReadonlyMap<string, ReindexRoute>> | null = null;

  constructor(
    private readonly inner: Sink,
    private readonly db: Db,
    private readonly options: DualWriteOptions,
  ) {}

  connect(): Promise<void> {
    return this.inner.connect();
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  truncateMarks(targets: readonly string[]): Promise<Map<string, TruncateMark>> {
    return this.inner.truncateMarks(targets);
  }

  /** A reindex's new collection is truncated too (first): its backfill may have copied rows from before. */
  async truncate(target: string, mark: TruncateMark): Promise<void> {
    const route = (await this.reindexes()).get(target);
    if (route?.paused) throw this.paused(target);
    if (route !== undefined) await this.inner.truncate(route.shadow, mark);
    await this.inner.truncate(target, mark);
  }

  async write(ops: readonly SinkOp[]): Promise<SinkOpResult[]> {
    const results: SinkOpResult[] = new Array(ops.length);
    const copyOf: number[] = [];
    const pending: number[] = [];
    let copies: SinkOp[];
    try {
      const targets = await this.reindexes();
      ops.forEach((op, index) => {
        const route = targets.get(op.target);
        if (route?.paused) results[index] = { status: 'failed', error: this.paused(op.target) };
        else {
          pending.push(index);
          if (route) copyOf.push(index);
        }
      });
      copies = await this.copiesOf(
        copyOf.map((index) => ops[index]!),
        targets,
      );
    } catch (error) {
      const failure: SinkOpResult = {
        status: 'failed',
        error: error instanceof CdcFanoutError ? error : classifyRequestError(error),
      };
      return ops.map(() => failure);
    }
    const copyResults = copies.length > 0 ? await this.inner.write(copies) : [];
    const written = pending.length > 0 ? await this.inner.write(pending.map((index) => ops[index]!)) : [];
    pending.forEach((index, position) => (results[index] = written[position]!));
    copyOf.forEach((of, position) => {
      results[of] = combineResults(results[of]!, copyResults[position]!);
    });
    return results;
  }

  /** A write held back while a reindex renames its collection; the next attempt looks again. */
  private paused(collection: string): CdcFanoutError {
    this.known = null;
    return new TransientSinkError(
      `mongodb: writes to ${collection} are paused while a reindex switches it; retried until it is done`,
    );
  }

  /** Each operation aimed at its reindex's new collection, partial updates completed from the live one. */
  private async copiesOf(
    ops: readonly SinkOp[],
    targets: ReadonlyMap<string, ReindexRoute>,
  ): Promise<SinkOp[]> {
    const partial = new Map<string, string[]>();
    for (const op of ops) {
      if (op.kind === 'upsert' && op.unchangedColumns.length > 0)
        partial.set(op.target, [...(partial.get(op.target) ?? []), op.id]);
    }
    const live = new Map<string, Map<string, StoredFields>>();
    for (const [target, ids] of partial) {
      const found = await this.db
        .collection<StoredFields>(target)
        .find({ _id: { $in: ids } })
        .toArray();
      live.set(target, new Map(found.map((doc) => [doc._id, doc])));
    }
    return ops.map((op) => {
      const copy = withTarget(op, targets.get(op.target)!.shadow);
      return copy.kind === 'upsert' ? completeFromLive(copy, live.get(op.target)?.get(op.id)) : copy;
    });
  }

  /** The running reindexes, looked up again once the last lookup is older than the discovery interval. */
  private async reindexes(): Promise<ReadonlyMap<string, ReindexRoute>> {
    const known = this.known;
    if (known && Date.now() - known.atMs < this.options.discoveryMs) return known.targets;
    this.lookup ??= this.lookUp().finally(() => (this.lookup = null));
    return this.lookup;
  }

  private async lookUp(): Promise<ReadonlyMap<string, ReindexRoute>> {
    const startedAt = Date.now();
    let records: unknown[];
    try {
      records = await this.db.collection(REINDEX_COLLECTION).find(RUNNING_FILTER).toArray();
    } catch (error) {
      throw classifyRequestError(error);
    }
    const targets = reindexRoutes(records);
    const before = this.known?.targets ?? new Map<string, ReindexRoute>();
    for (const [collection, { shadow }] of before) {
      if (targets.get(collection)?.shadow !== shadow)
        this.options.logger.info(
          { collection, shadow },
          'mongodb reindex ended: written to the collection alone',
        );
    }
    for (const [collection, { shadow }] of targets) {
      if (before.get(collection)?.shadow !== shadow)
        this.options.logger.info(
          { collection, shadow },
          'mongodb reindex found: written to both, the new collection first',
        );
    }
    this.known = { targets, atMs: startedAt };
    return targets;
  }
}
