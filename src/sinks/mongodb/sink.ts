// MongoDB sink: one collection per table, _id from the primary key, and a stored position field
// guarding every write (write-plan.ts), in one unordered bulk per collection. With the range guard
// (the default) each statement's filter is _id plus "stored before this position", no read first.
// With compare-and-set each names the exact stored position it replaces: the one this process last
// stored or read (position-cache.ts), or, for the ids it holds no belief about, read with one
// `_id: {$in}` query first. Only a read calls an event stale (at or below the stored position,
// without a write): a statement that collides on _id is planned again by compare-and-set after a
// read. In a replay, where most writes would collide, the range guard reads first as well.
// Deletes leave tombstones (tombstone.ts), so a late older write cannot bring a row back.
import { BSON, MongoClient, type Collection, type Db, type Document } from 'mongodb';
import type { Logger } from 'pino';
import { CdcFanoutError, PermanentSinkError, TransientSinkError } from '../../errors.js';
import type { Sink, SinkOp, SinkOpResult, TruncateMark } from '../sink.js';
import { DUPLICATE_KEY, classifyRequestError, classifyWriteError } from './classify.js';
import { isDuplicateOnId } from './duplicate-key.js';
import { PositionCache } from './position-cache.js';
import { StoredFields } from './stored-form.js';
import { DELETED_AT_FIELD } from './tombstone.js';
import {
  commandRuns,
  encodeStatement,
  readUpdateReply,
  updateCommand,
  type EncodedStatement,
  type UpdateOutcome,
} from './update-command.js';
import { MAX_ENCODED_BYTES, StatementTooLargeError } from './bson-encode.js';
import { OWNED_FIELDS, POSITION_FIELD } from '../owned-fields.js';
import {
  planGuardedWrite,
  planWrite,
  readStored,
  type Stored,
  type StoredDocument,
  type UpdateStatement,
  type UpsertFields,
} from './write-plan.js';

/** The stored position (LSN, int64) of each document. */
export { POSITION_FIELD };

/**
 * MongoDB's maxBsonObjectSize: no stored document may be larger. The sink refuses, before sending,
 * any statement ({q, u, upsert}) of this size or more, as the driver's bulkWrite does.
 */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * Plans per batch: the first (guarded by range, or on beliefs where there are some), then up to two
 * after a read for statements that collided: stale, a wrong belief, or a lost race.
 */
const MAX_ATTEMPTS = 3;

const TOMBSTONE_TTL_INDEX = '_cdc_tombstone_ttl';
const PROBE_COLLECTION = 'cdc_fanout_probe';

export interface MongoSinkOptions {
  readonly url: string;
  readonly database: string;
  readonly logger: Logger;
  /** How long a tombstone is kept (TTL index); servers without TTL support keep them. */
  readonly tombstoneTtlMs?: number;
  /** How the first write of a batch is guarded (WriteGuard); 'range' if not given. */
  readonly writeGuard?: WriteGuard;
  /**
   * Stored positions remembered per collection (position-cache.ts), with compare-and-set only; 0
   * (the default) reads before every write.
   */
  readonly positionCacheEntries?: number;
}

/**
 * 'range': the filter says "stored before this position", answered from the _id index by MongoDB
 * and the stack's stand-in, no read. 'compare-and-set': a read first (or a remembered position),
 * then the exact stored position in the filter, for servers that scan the collection for a range
 * (FerretDB 1.24).
 */
export type WriteGuard = 'range' | 'compare-and-set';

interface Entry {
  readonly index: number;
  readonly op: SinkOp;
}

/**
 * A planned write as its BSON alone. The statement it was encoded from is not kept: it would live
 * until the reply, long enough to be promoted out of the young generation, and a write planned
 * again (after a collision) builds it anew from the operation.
 */
type Sendable = Entry & EncodedStatement;

export function createMongoClient(url: string, requestTimeoutMs = 30_000): MongoClient {
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    // A server that stops answering must fail the request (then retried), not hang the pipeline.
    socketTimeoutMS: requestTimeoutMs,
    // Our pipeline owns retries; the driver's single retry would only duplicate the attempt.
    retryWrites: false,
    retryReads: false,
    useBigInt64: true,
  });
}

/** Columns whose names the sink itself uses: storing them would break the id or the guard. */
function ownedFieldProblem(document: Record<string, unknown>): string | null {
  for (const name of OWNED_FIELDS.mongodb) {
    if (Object.hasOwn(document, name)) return `column "${name}" collides with a field the sink owns`;
  }
  return null;
}

/** `bytes` null: too large for js-bson to measure, known only to be over the encoder's limit. */
function tooLargeError(bytes: number | null): CdcFanoutError {
  return new PermanentSinkError(
    `mongodb document too large: ${bytes ?? `over ${MAX_ENCODED_BYTES}`} bytes of BSON (limit ${MAX_DOCUMENT_BYTES} bytes, MongoDB's 16 MiB maximum document size, counting the write statement around it)`,
  );
}

function sizeWithoutEncoding(statement: Document): number | null {
  try {
    return BSON.calculateObjectSize(statement, { ignoreUndefined: false });
  } catch {
    // What js-bson cannot measure (an object with a `_bsontype` field, which it takes for one of
    // its classes) the sink's encoder still found over its limit: too large, size unknown.
    return null;
  }
}

/**
 * Why a statement could not be encoded: a value BSON cannot encode, or, when the encoder reached
 * its 17 MiB limit, a statement too large (its size measured without encoding). Either is about that
 * document, not the server: retrying could never succeed.
 */
function encodingError(statement: Document, error: unknown): CdcFanoutError {
  if (error instanceof StatementTooLargeError) return tooLargeError(sizeWithoutEncoding(statement));
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new PermanentSinkError(`mongodb cannot encode the document: ${detail}`, error);
}

const WRITTEN: SinkOpResult = Object.freeze({ status: 'written' });

export class MongoSink implements Sink {
  readonly name = 'mongodb' as const;
  private readonly db: Db;
  private readonly logger: Logger;
  private readonly tombstoneTtlMs: number;
  /** Collections whose indexes exist (or are being created). */
  private readonly prepared = new Map<string, Promise<void>>();
  private readonly positions: PositionCache;
  private readonly writeGuard: WriteGuard;
  /**
   * Collections whose last batch was mostly stale, written by compare-and-set with the range guard
   * too: in a replay (offset reset, a restart after a crash) a guarded write would collide and
   * then be read anyway, two round trips where a read alone (one, no write) decides. The first
   * batch that a read finds mostly newer goes back to the guarded write.
   */
  private readonly readFirst = new Set<string>();

  constructor(
    private readonly client: MongoClient,
    options: MongoSinkOptions,
  ) {
    this.db = client.db(options.database);
    this.logger = options.logger;
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? 24 * 60 * 60 * 1000;
    this.writeGuard = options.writeGuard ?? 'range';
    this.positions = new PositionCache(this.writeGuard === 'range' ? 0 : (options.positionCacheEntries ?? 0));
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
      await this.db.command({ ping: 1 });
    } catch (error) {
      throw classifyRequestError(error);
    }
  }

  /**
   * A real write command and a read, not `ping`: a server can answer ping while its queries hang
   * (FerretDB did), and the sink is only ready if it can do what it is for. The write is a delete
   * that matches nothing, so the probe leaves no collection or document behind.
   */
  async ping(): Promise<boolean> {
    try {
      const probe = this.db.collection<{ _id: string }>(PROBE_COLLECTION);
      await probe.deleteOne({ _id: 'readiness' }, { timeoutMS: 3000 });
      await probe.findOne({ _id: 'readiness' }, { timeoutMS: 3000 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** An upsert's stored fields (null for a delete), built each time the write is planned. */
  private upsertFields(op: SinkOp): UpsertFields | null {
    if (op.kind === 'delete') return null;
    return {
      fields: new StoredFields(op.document, POSITION_FIELD, op.position),
      // A partial update ($set) leaves the unchanged TOAST columns as stored; a full one replaces all.
      partial: op.unchangedColumns.length > 0,
    };
  }

  async write(ops: readonly SinkOp[]): Promise<SinkOpResult[]> {
    const results: SinkOpResult[] = new Array(ops.length);
    const byCollection = new Map<string, Entry[]>();
    ops.forEach((op, index) => {
      const problem = op.kind === 'upsert' ? ownedFieldProblem(op.document) : null;
      if (problem) {
        const error = new PermanentSinkError(`mongodb cannot store the document: ${problem}`);
        results[index] = { status: 'failed', error };
        return;
      }
      const group = byCollection.get(op.target) ?? [];
      group.push({ index, op });
      byCollection.set(op.target, group);
    });
    await Promise.all(
      [...byCollection].map(([collection, group]) => this.writeCollection(collection, group, results)),
    );
    return results;
  }

  /**
   * Creates, once per collection, the tombstone TTL index. Every write filters on _id, which every
   * collection has an index on. (Earlier versions also created a unique {_id, position} index,
   * named POSITION_INDEX, for servers that planned only whole-filter index matches; it only costs
   * writes now and can be dropped.)
   */
  private prepare(name: string, target: Collection<StoredDocument>): Promise<void> {
    let prepared = this.prepared.get(name);
    if (!prepared) {
      prepared = (async () => {
        try {
          await target.createIndex(
            { [DELETED_AT_FIELD]: 1 },
            { name: TOMBSTONE_TTL_INDEX, expireAfterSeconds: Math.ceil(this.tombstoneTtlMs / 1000) },
          );
        } catch (error) {
          // FerretDB has no TTL indexes; one that exists with another expiry keeps working with it.
          this.logger.warn(
            { collection: name, err: error },
            'mongodb: could not create the TTL index for tombstones (an existing one keeps its expiry; without one, tombstones stay until removed by hand)',
          );
        }
      })();
      this.prepared.set(name, prepared);
      prepared.catch(() => this.prepared.delete(name));
    }
    return prepared;
  }

  private async writeCollection(collection: string, group: Entry[], results: SinkOpResult[]): Promise<void> {
    const target = this.db.collection<StoredDocument>(collection);
    const fail = (entries: readonly Entry[], error: CdcFanoutError) => {
      for (const { index } of entries) results[index] = { status: 'failed', error };
    };
    let pending = group;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === MAX_ATTEMPTS) {
        const error = new TransientSinkError(
          `mongodb: ${pending.length} writes found their documents changed between the position read and the write, twice; retrying`,
        );
        return fail(pending, error);
      }
      const now = new Date();
      const readingFirst = this.readFirst.has(collection);
      if (attempt === 0 && this.writeGuard === 'range' && !readingFirst) {
        try {
          await this.prepare(collection, target);
        } catch (error) {
          return fail(pending, classifyRequestError(error));
        }
        const guarded: Sendable[] = [];
        for (const entry of pending) {
          const statement = planGuardedWrite(entry.op, this.upsertFields(entry.op), POSITION_FIELD, now);
          this.encodeInto(guarded, entry, statement, results);
        }
        const planned = pending.length;
        pending = await this.bulk(target, guarded, results);
        if (pending.length * 2 > planned) this.readFirst.add(collection);
        continue;
      }
      // Beliefs stand in for the read on the first plan only: a statement that missed is read.
      const { believed, toRead, unknownToRead } =
        attempt === 0
          ? this.positions.split(collection, pending)
          : { believed: [], toRead: pending, unknownToRead: [] };
      let read: Map<string, Stored>;
      try {
        await this.prepare(collection, target);
        read = toRead.length > 0 ? await this.readPositions(target, toRead) : new Map<string, Stored>();
      } catch (error) {
        return fail(pending, classifyRequestError(error));
      }
      const writes: Entry[] = [];
      const sendable: Sendable[] = [];
      const plan = (entry: Entry, stored: Stored | undefined) => {
        const fields = () => this.upsertFields(entry.op);
        const planned = planWrite(entry.op, stored, fields, POSITION_FIELD, now);
        if (planned.kind === 'write') {
          writes.push(entry);
          return this.encodeInto(sendable, entry, planned.statement, results);
        }
        results[entry.index] = { status: 'stale' };
        this.positions.remember(collection, entry.op.id, stored!.raw);
      };
      for (const { stored, ...entry } of believed) plan(entry, stored);
      for (const entry of toRead) plan(entry, read.get(entry.op.id));
      if (attempt === 0 && readingFirst && writes.length * 2 >= pending.length)
        this.readFirst.delete(collection);
      pending = await this.bulk(target, sendable, results);
      this.learn(collection, writes, results, { believed, unknownToRead, read, missed: pending });
    }
  }

  /** What a plan's outcome says is stored now, and whether unknown ids were mostly absent. */
  private learn(
    collection: string,
    writes: readonly Entry[],
    results: readonly SinkOpResult[],
    seen: {
      believed: ReadonlyArray<Entry & { stored: Stored | undefined }>;
      unknownToRead: readonly Entry[];
      read: ReadonlyMap<string, Stored>;
      missed: readonly Entry[];
    },
  ): void {
    for (const { index, op } of writes) {
      if (results[index]?.status === 'written') this.positions.remember(collection, op.id, op.position);
      else this.positions.forget(collection, op.id);
    }
    const missed = new Set(seen.missed.map(({ op }) => op.id));
    const triedAsNew = seen.believed.filter(({ stored }) => stored === undefined);
    this.positions.observeUnknowns(
      collection,
      triedAsNew.length + seen.unknownToRead.length,
      triedAsNew.filter(({ op }) => !missed.has(op.id)).length +
        seen.unknownToRead.filter(({ op }) => !seen.read.has(op.id)).length,
    );
  }

  private async readPositions(target: Collection<StoredDocument>, entries: readonly Entry[]) {
    const found = await target
      .find({ _id: { $in: entries.map(({ op }) => op.id) } }, { projection: { [POSITION_FIELD]: 1 } })
      .toArray();
    return new Map(found.map((doc) => [doc._id, readStored(doc[POSITION_FIELD])]));
  }

  /**
   * Adds the write's BSON to `sendable`. A statement that cannot be encoded, or is over MongoDB's
   * size limit, is refused before anything is sent, as the driver's bulkWrite refused it.
   */
  private encodeInto(
    sendable: Sendable[],
    entry: Entry,
    statement: UpdateStatement,
    results: SinkOpResult[],
  ): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeStatement(statement);
      // The bytes are what is sent, again too: a write planned anew reads the document again.
      if (entry.op.kind === 'upsert') entry.op.release?.();
    } catch (error) {
      results[entry.index] = { status: 'failed', error: encodingError(statement, error) };
      return;
    }
    if (bytes.length >= MAX_DOCUMENT_BYTES) {
      results[entry.index] = { status: 'failed', error: tooLargeError(bytes.length) };
      return;
    }
    sendable.push({ index: entry.index, op: entry.op, bytes });
  }

  /**
   * Runs the encoded statements as unordered `update` commands (one, unless the batch is over the
   * size limit); answers the entries to plan again.
   */
  private async bulk(
    target: Collection<StoredDocument>,
    sendable: readonly Sendable[],
    results: SinkOpResult[],
  ): Promise<Entry[]> {
    const again: Entry[] = [];
    for (const [start, end] of commandRuns(
      sendable.map(({ bytes }) => bytes.length),
      MAX_DOCUMENT_BYTES,
    )) {
      again.push(...(await this.runCommand(target, sendable.slice(start, end), results)));
    }
    return again;
  }

  private async runCommand(
    target: Collection<StoredDocument>,
    writes: readonly Sendable[],
    results: SinkOpResult[],
  ): Promise<Entry[]> {
    let outcome: UpdateOutcome;
    try {
      const reply = await this.db.command(updateCommand(target.collectionName, writes));
      outcome = readUpdateReply(reply, writes.length);
    } catch (error) {
      // The request itself failed (connection, timeout, a reply that makes no sense): nothing is
      // known to be written, so every statement is retried, never dead-lettered.
      const failure = classifyRequestError(error);
      for (const { index } of writes) results[index] = { status: 'failed', error: failure };
      return [];
    }
    if (outcome.writeConcernError !== null) {
      const failure = new TransientSinkError(`mongodb ${outcome.writeConcernError}`);
      for (const { index } of writes) results[index] = { status: 'failed', error: failure };
      return [];
    }
    return this.sortWriteErrors(outcome, writes, results);
  }

  /**
   * Per statement: no error is written, a duplicate on _id lost a race (plan again), any other
   * error is that document's. A server that stopped at its first error (FerretDB) reports fewer
   * successes than statements without an error: those are planned again too, which is safe: the
   * re-read finds the applied ones stale.
   */
  private sortWriteErrors(
    outcome: UpdateOutcome,
    writes: readonly Sendable[],
    results: SinkOpResult[],
  ): Entry[] {
    const byIndex = new Map(outcome.writeErrors.map((writeError) => [writeError.index, writeError]));
    const allReported = outcome.succeeded >= writes.length - byIndex.size;
    const again: Entry[] = [];
    writes.forEach((entry, position) => {
      const writeError = byIndex.get(position);
      if (!writeError) {
        if (allReported) results[entry.index] = WRITTEN;
        else again.push(entry);
      } else if (writeError.code === DUPLICATE_KEY && isDuplicateOnId(writeError.errmsg)) {
        again.push(entry);
      } else if (writeError.code === DUPLICATE_KEY) {
        results[entry.index] = {
          status: 'failed',
          error: new PermanentSinkError(
            `mongodb refused the document: it duplicates another document's key in a unique index: ${writeError.errmsg}`,
          ),
        };
      } else {
        results[entry.index] = {
          status: 'failed',
          error: classifyWriteError(writeError.code, writeError.errmsg),
        };
      }
    });
    return again;
  }

  async truncate(target: string, mark: TruncateMark): Promise<void> {
    try {
      await this.recordTruncateMark(target, mark);
      // A document without a position (written before cdc-fanout took over) is removed too.
      await this.db
        .collection<StoredDocument>(target)
        .deleteMany({ [POSITION_FIELD]: { $not: { $gte: mark.position } } });
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
