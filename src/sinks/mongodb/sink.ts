// MongoDB sink: one collection per table, _id from the primary key, and a stored position field
// guarding every write: the filter only matches a document older than the event, so an older
// event either changes nothing or collides on _id (E11000), which means "already newer": done.
import {
  BSON,
  MongoBulkWriteError,
  MongoInvalidArgumentError,
  MongoClient,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
} from 'mongodb';
import type { Logger } from 'pino';
import { CdcFanoutError, PermanentSinkError } from '../../errors.js';
import { SNAPSHOT_POSITION, type Sink, type SinkOp, type SinkOpResult, type TruncateMark } from '../sink.js';
import { DUPLICATE_KEY, classifyRequestError, classifyWriteError } from './classify.js';
import { toStoredForm } from './stored-form.js';

/** The stored position (LSN, int64) of each document. */
export const POSITION_FIELD = '_cdc_lsn';

/**
 * MongoDB's (and FerretDB's) maxBsonObjectSize: no stored document may be larger. The driver
 * refuses, client-side, any bulk statement ({q, u, upsert}) of this size or more.
 */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * The driver refuses some operations before sending them: a statement over maxBsonObjectSize
 * ("Document is larger than the maximum size"), a value BSON cannot encode. Those are about one
 * document, not the server, so retrying them could never succeed.
 */
function isClientSideRefusal(error: unknown): error is Error {
  return error instanceof MongoInvalidArgumentError || error instanceof BSON.BSONError;
}

function tooLargeMessage(size: number): string {
  return `mongodb document too large: ${size} bytes of BSON (limit ${MAX_DOCUMENT_BYTES} bytes, MongoDB's 16 MiB maximum document size)`;
}

/** Lone writes after a failed bulk run this many at a time (distinct ids, so order is free). */
const SINGLE_WRITE_CONCURRENCY = 16;

export interface MongoSinkOptions {
  readonly url: string;
  readonly database: string;
  readonly logger: Logger;
}

type StoredDocument = { _id: string } & Record<string, unknown>;
type Model = AnyBulkWriteOperation<StoredDocument>;

export function createMongoClient(url: string, requestTimeoutMs = 30_000): MongoClient {
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    // A server that stops answering must fail the request (then retried), not hang the pipeline.
    socketTimeoutMS: requestTimeoutMs,
    // Our pipeline owns retries; the driver's single retry would only duplicate the attempt.
    retryWrites: false,
    useBigInt64: true,
  });
}

/** Columns whose names the sink itself uses: storing them would break the id or the guard. */
function ownedFieldProblem(document: Record<string, unknown>): string | null {
  for (const name of ['_id', POSITION_FIELD]) {
    if (Object.hasOwn(document, name)) return `column "${name}" collides with a field the sink owns`;
  }
  return null;
}

/**
 * Matches a stored document unless it holds a position at or after `position`. A document without
 * one (the application wrote it before cdc-fanout took over, or someone did by hand) can be
 * replaced: a plain `$lt` matches no such document, so every event for it counted as stale and
 * its row was never written again.
 */
function storedBefore(position: bigint) {
  // A snapshot read also replaces an equal position: a later snapshot refreshes an earlier one's.
  const operator = position === SNAPSHOT_POSITION ? '$gt' : '$gte';
  return { [POSITION_FIELD]: { $not: { [operator]: position } } };
}

/** The complement of storedBefore: a document stored here makes the write stale. */
function isStoredAtOrAfter(stored: unknown, position: bigint): boolean {
  if (typeof stored !== 'bigint' && typeof stored !== 'number') return false;
  const at = BigInt(stored);
  return position === SNAPSHOT_POSITION ? at > position : at >= position;
}

export class MongoSink implements Sink {
  readonly name = 'mongodb' as const;
  private readonly db: Db;

  constructor(
    private readonly client: MongoClient,
    options: MongoSinkOptions,
  ) {
    this.db = client.db(options.database);
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
      await this.db.command({ ping: 1 });
    } catch (error) {
      throw classifyRequestError(error);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.command({ ping: 1 }, { timeoutMS: 3000 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The bulk model of one operation, or the permanent reason it can never be written. */
  private toModel(op: SinkOp): Model | CdcFanoutError {
    const guard = { _id: op.id, ...storedBefore(op.position) };
    if (op.kind === 'delete') return { deleteOne: { filter: guard } };
    const problem = ownedFieldProblem(op.document);
    if (problem) return new PermanentSinkError(`mongodb cannot store the document: ${problem}`);
    const fields = { ...toStoredForm(op.document), [POSITION_FIELD]: op.position };
    // The stored document: its fields with the _id the filter gives it.
    const size = BSON.calculateObjectSize({ _id: op.id, ...fields }, { ignoreUndefined: false });
    if (size > MAX_DOCUMENT_BYTES) return new PermanentSinkError(tooLargeMessage(size));
    // A partial update ($set) leaves the unchanged TOAST columns as stored; a full one replaces all.
    return op.unchangedColumns.length > 0
      ? { updateOne: { filter: guard, update: { $set: fields }, upsert: true } }
      : { replaceOne: { filter: guard, replacement: fields, upsert: true } };
  }

  async write(ops: readonly SinkOp[]): Promise<SinkOpResult[]> {
    const results: SinkOpResult[] = new Array(ops.length);
    const byCollection = new Map<string, Array<{ index: number; model: Model }>>();
    ops.forEach((op, index) => {
      const model = this.toModel(op);
      if ('retriable' in model) {
        results[index] = { status: 'failed', error: model };
        return;
      }
      const group = byCollection.get(op.target) ?? [];
      group.push({ index, model });
      byCollection.set(op.target, group);
    });
    await Promise.all(
      [...byCollection].map(([collection, group]) => this.writeCollection(collection, group, ops, results)),
    );
    return results;
  }

  /**
   * One bulkWrite for the group; if it reports any write error (or the driver refuses one of its
   * documents before sending), every operation of the group is redone on its own. FerretDB stops
   * an unordered bulk at its first error and reports it at index 0, so which operations were
   * applied cannot be read off the error; a lone operation's result can. Redoing applied
   * operations is safe: the position guard makes them stale.
   */
  private async writeCollection(
    collection: string,
    group: Array<{ index: number; model: Model }>,
    ops: readonly SinkOp[],
    results: SinkOpResult[],
  ): Promise<void> {
    const target = this.db.collection<StoredDocument>(collection);
    try {
      await target.bulkWrite(
        group.map(({ model }) => model),
        { ordered: false },
      );
      for (const { index } of group) results[index] = { status: 'written' };
      return;
    } catch (error) {
      // A refusal by the driver before sending names no document: each is tried alone below.
      if (!(error instanceof MongoBulkWriteError) && !isClientSideRefusal(error)) {
        const failure = classifyRequestError(error);
        for (const { index } of group) results[index] = { status: 'failed', error: failure };
        return;
      }
    }
    for (let start = 0; start < group.length; start += SINGLE_WRITE_CONCURRENCY) {
      await Promise.all(
        group.slice(start, start + SINGLE_WRITE_CONCURRENCY).map(async ({ index, model }) => {
          results[index] = await this.writeOne(target, model, ops[index]!);
        }),
      );
    }
  }

  private async writeOne(
    target: Collection<StoredDocument>,
    model: Model,
    op: SinkOp,
    retryAfterDuplicate = true,
  ): Promise<SinkOpResult> {
    try {
      await target.bulkWrite([model], { ordered: true });
      return { status: 'written' };
    } catch (error) {
      if (isClientSideRefusal(error)) {
        const detail = /larger than the maximum size/i.test(error.message)
          ? `mongodb document too large: the write is ${BSON.calculateObjectSize(model, { ignoreUndefined: false })} bytes of BSON (limit ${MAX_DOCUMENT_BYTES} bytes); the driver refused it: ${error.message}`
          : `mongodb driver refused the document: ${error.name}: ${error.message}`;
        return { status: 'failed', error: new PermanentSinkError(detail, error) };
      }
      if (!(error instanceof MongoBulkWriteError))
        return { status: 'failed', error: classifyRequestError(error) };
      const writeErrors = Array.isArray(error.writeErrors)
        ? error.writeErrors
        : Object.values(error.writeErrors);
      const first = writeErrors[0];
      // No error about the document itself: the request failed (connection, write concern), so
      // it is retried like any unreachable server, never dead-lettered.
      if (!first) return { status: 'failed', error: classifyRequestError(error) };
      if (first.code === DUPLICATE_KEY && op.kind === 'upsert')
        return this.afterDuplicate(target, model, op, first.errmsg ?? error.message, retryAfterDuplicate);
      return { status: 'failed', error: classifyWriteError(first.code, first.errmsg ?? error.message) };
    }
  }

  /**
   * An upsert failed with a duplicate key. On _id, because the guard refused the stored document:
   * stale, if the stored position says so. Otherwise it was a race (another writer created or
   * deleted the document between the guard and the insert; the write is tried once more) or a
   * duplicate on another unique index, which no retry can fix: the document is refused for good.
   * FerretDB does not say which index, so the stored position decides.
   */
  private async afterDuplicate(
    target: Collection<StoredDocument>,
    model: Model,
    op: SinkOp,
    message: string,
    retry: boolean,
  ): Promise<SinkOpResult> {
    let stored: StoredDocument | null;
    try {
      stored = await target.findOne({ _id: op.id }, { projection: { [POSITION_FIELD]: 1 } });
    } catch (error) {
      return { status: 'failed', error: classifyRequestError(error) };
    }
    if (stored && isStoredAtOrAfter(stored[POSITION_FIELD], op.position)) return { status: 'stale' };
    if (retry) return this.writeOne(target, model, op, false);
    return {
      status: 'failed',
      error: new PermanentSinkError(
        `mongodb refused the document: a duplicate key on a unique index other than _id (${message})`,
      ),
    };
  }

  async truncate(target: string, mark: TruncateMark): Promise<void> {
    try {
      await this.recordTruncateMark(target, mark);
      await this.db.collection<StoredDocument>(target).deleteMany(storedBefore(mark.position));
    } catch (error) {
      throw error instanceof CdcFanoutError ? error : classifyRequestError(error);
    }
  }

  /** Marks live in a collection of their own, one document per target; a lower one never replaces. */
  private async recordTruncateMark(target: string, mark: TruncateMark): Promise<void> {
    try {
      await this.db
        .collection<TruncateMarkDocument>(TRUNCATE_MARKS)
        .replaceOne(
          { _id: target, position: { $not: { $gte: mark.position } } },
          { position: mark.position, commitTsMs: mark.commitTsMs },
          { upsert: true },
        );
    } catch (error) {
      // A duplicate _id: the stored mark is at or after this one.
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
    }
  }

  async truncateMarks(targets: readonly string[]): Promise<Map<string, TruncateMark>> {
    const marks = new Map<string, TruncateMark>();
    if (targets.length === 0) return marks;
    try {
      const stored = await this.db
        .collection<TruncateMarkDocument>(TRUNCATE_MARKS)
        .find({ _id: { $in: [...targets] } })
        .toArray();
      for (const { _id, position, commitTsMs } of stored)
        marks.set(_id, { position: BigInt(position), commitTsMs });
    } catch (error) {
      throw classifyRequestError(error);
    }
    return marks;
  }
}

/** The collection of truncate marks, beside the table collections (not a table's name: no dot). */
export const TRUNCATE_MARKS = '_cdc_fanout_truncates';

interface TruncateMarkDocument {
  _id: string;
  position: bigint;
  commitTsMs: number;
}
