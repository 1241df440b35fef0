// The sink's writes as the server takes them: one `update` command of unordered statements, sent
// with db.command rather than through the driver's bulkWrite. The driver builds exactly this
// command, but on the way it sizes every statement for its own batching, wraps each in bulk
// bookkeeping and merges the reply into a result object: measured on the bench's documents, 18.5-
// 19.8 µs of client CPU per statement against 11.2-11.6 sent as the command. The two things the
// driver did that the sink needs are here: statements over MongoDB's size limit are refused before
// sending (per statement, as the driver did), and a batch is cut into commands the server accepts.
//
// Each statement is encoded to BSON once, by the sink, and the bytes are sent as they are: the
// statements travel as an OP_MSG document sequence (payload type 1, which every MongoDB since 3.6
// and the stack's stand-in read; drivers send bulk writes that way), not as an array inside the
// command. So the size that decides refusal and cuts is the encoded length, not a second walk of
// the document (BSON.calculateObjectSize), and a value BSON cannot encode fails its own statement
// before anything is sent.
import type { Document } from 'mongodb';
import { DocumentSequence } from 'mongodb/lib/cmap/commands.js';
import { encodeDocument } from './bson-encode.js';
import type { UpdateStatement } from './write-plan.js';

/** A statement's BSON, encoded once (encodeStatement). */
export interface EncodedStatement {
  readonly bytes: Uint8Array;
}

/**
 * What the command's document sequence lists as each statement's document. The driver reads that
 * list only for command monitoring, which the sink never turns on; the bytes are what is sent.
 * Keeping the statements there would keep every document of a command, in JS objects, alive until
 * the reply: long enough to survive young-generation collections and be promoted, which made
 * garbage collection most of the service's CPU beyond its own work.
 */
const SENT_AS_BYTES: Document = Object.freeze({});

/**
 * The statement's BSON, as the driver would encode it inside a command (undefined as null, keys
 * unchecked: stored field names may hold '.' and '$'), but with every plain object a document of
 * its fields (bson-encode.ts). Throws BSONError for a value BSON cannot encode, and
 * StatementTooLargeError for a statement over the encoder's 17 MiB limit (js-bson's own).
 */
export function encodeStatement(statement: UpdateStatement): Uint8Array {
  return encodeDocument(statement as unknown as Record<string, unknown>);
}

/** The `update` command of the statements, sent as their encoded bytes (see the top of this file). */
export function updateCommand(collection: string, statements: readonly EncodedStatement[]): Document {
  const updates = new DocumentSequence('updates');
  for (const { bytes } of statements) updates.push(SENT_AS_BYTES, bytes);
  return { update: collection, updates, ordered: false };
}

/** MongoDB's maxWriteBatchSize: statements per write command. */
export const MAX_STATEMENTS_PER_COMMAND = 100_000;

/**
 * Cuts statements of the given BSON sizes, in order, into runs [start, end) of at most `maxBytes`
 * of statements and MAX_STATEMENTS_PER_COMMAND. A document sequence may carry up to the server's
 * 48 MB message size; the sink keeps a command within 16 MiB, which every server takes. Every
 * size must be below `maxBytes`.
 */
export function commandRuns(sizes: readonly number[], maxBytes: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!;
    if (i > start && (bytes + size > maxBytes || i - start === MAX_STATEMENTS_PER_COMMAND)) {
      runs.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < sizes.length) runs.push([start, sizes.length]);
  return runs;
}

/** A statement the server refused, by its index in the command. */
export interface StatementError {
  readonly index: number;
  readonly code: number | undefined;
  readonly errmsg: string;
}

/** What a reply says happened to a command of `statements` statements. */
export interface UpdateOutcome {
  /** Statements that matched or upserted a document (the reply's n). */
  readonly succeeded: number;
  readonly writeErrors: readonly StatementError[];
  /** The write concern was not met: nothing the command did is known to last. */
  readonly writeConcernError: string | null;
}

/** Reads an `update` reply (ok: 1; a failed command throws in the driver). Throws on nonsense. */
export function readUpdateReply(reply: Document, statements: number): UpdateOutcome {
  const n = reply['n'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new TypeError(`the update reply has no count of matched documents (n): ${JSON.stringify(n)}`);
  const raw: unknown = reply['writeErrors'] ?? [];
  if (!Array.isArray(raw)) throw new TypeError('the update reply has writeErrors that are not a list');
  const writeErrors = raw.map((item: unknown): StatementError => {
    const { index, code, errmsg } = (item ?? {}) as Record<string, unknown>;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= statements)
      throw new TypeError(`the update reply names a write error at index ${String(index)} of ${statements}`);
    return {
      index,
      code: typeof code === 'number' ? code : undefined,
      errmsg: typeof errmsg === 'string' ? errmsg : '',
    };
  });
  const concern = reply['writeConcernError'] as { code?: unknown; errmsg?: unknown } | undefined;
  const writeConcernError =
    concern === undefined || concern === null
      ? null
      : `write concern error ${String(concern.code ?? '')}: ${String(concern.errmsg ?? '')}`;
  return { succeeded: n, writeErrors, writeConcernError };
}
