// Write planning, pure. Two forms of the guard, both upserts that match nothing when the stored
// document is at or after the event, so that they try to insert and collide on _id (E11000):
// - guarded (planGuardedWrite): the filter is _id plus a range on the position. No read needed,
//   but a collision is ambiguous: a newer document, or one that an older write inserted between
//   this statement's match and its insert (two writers racing on a new id). The caller reads and
//   plans the collided ones by compare-and-set, so only a read ever calls an event stale.
// - compare-and-set (planWrite): given what a read found stored for each id, each operation is
//   either already done (stale) or one write whose filter names the exact stored state. For
//   servers that answer from an index only a filter on _id alone or on an index's exact keys
//   (FerretDB 1.24 scans the collection for a range), with the position as a plain value.
import { SNAPSHOT_POSITION, type SinkOp } from '../sink.js';
import type { StoredFields } from './stored-form.js';
import { DELETED_AT_FIELD, DELETED_FIELD, tombstoneFields } from './tombstone.js';

export type StoredDocument = { _id: string } & Record<string, unknown>;

/**
 * One statement of an `update` command: the filter, then the replacement (a replacing upsert) or
 * the update operators (a partial one), always upserting.
 */
export interface UpdateStatement {
  readonly q: Record<string, unknown> & { _id: string };
  readonly u: StoredFields | Record<string, unknown>;
  readonly upsert: true;
}

/** What the position read found for one id. */
export interface Stored {
  /** The stored position field exactly as read (undefined when the document has none). */
  readonly raw: unknown;
  /** The position it means, or null when it holds none the sink wrote (written by someone else). */
  readonly position: bigint | null;
}

export function readStored(raw: unknown): Stored {
  if (typeof raw === 'bigint') return { raw, position: raw };
  // An int32 or double position (written by hand, or by a driver without useBigInt64) still counts.
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return { raw, position: BigInt(raw) };
  return { raw, position: null };
}

/** The new fields of an upsert: its document in stored form, with the position. */
export interface UpsertFields {
  readonly fields: StoredFields;
  /** Unchanged TOAST columns: a partial update keeps their stored values. */
  readonly partial: boolean;
}

export type Planned =
  { readonly kind: 'stale' } | { readonly kind: 'write'; readonly statement: UpdateStatement };

/**
 * Whether a stored position makes a write at `position` stale: a newer or the same one, except that
 * a snapshot read replaces what an earlier snapshot wrote at the same (snapshot) position.
 */
function isAtOrAfter(stored: bigint, position: bigint): boolean {
  return position === SNAPSHOT_POSITION ? stored > position : stored >= position;
}

/**
 * The guard of a write at `position` without a read: a document stored before it (isAtOrAfter,
 * negated, so that a document without a position, or with one that is not a number, matches too).
 */
export function storedBefore(position: bigint): Record<string, unknown> {
  return { $not: { [position === SNAPSHOT_POSITION ? '$gt' : '$gte']: position } };
}

/** The write for `op` with the position guard in its filter, whatever is stored: no read. */
export function planGuardedWrite(
  op: SinkOp,
  upsert: UpsertFields | null,
  positionField: string,
  now: Date,
): UpdateStatement {
  return writeStatement(
    op,
    { _id: op.id, [positionField]: storedBefore(op.position) },
    upsert,
    positionField,
    now,
  );
}

/**
 * The write for `op` given the stored state of its id (undefined: no document). `upsert` gives the
 * upsert's fields (null for a delete), asked for only when there is a write: a stale operation's
 * document, perhaps let go of already, is not read (SinkOp's release).
 */
export function planWrite(
  op: SinkOp,
  stored: Stored | undefined,
  upsert: () => UpsertFields | null,
  positionField: string,
  now: Date,
): Planned {
  if (stored?.position != null && isAtOrAfter(stored.position, op.position)) return { kind: 'stale' };
  // No document, or one without a position, is matched as null (null matches a missing field); an
  // upsert that matches nothing inserts, so one statement type covers every case (one command).
  const filter = { _id: op.id, [positionField]: stored?.raw ?? null };
  return { kind: 'write', statement: writeStatement(op, filter, upsert(), positionField, now) };
}

function writeStatement(
  op: SinkOp,
  filter: Record<string, unknown> & { _id: string },
  upsert: UpsertFields | null,
  positionField: string,
  now: Date,
): UpdateStatement {
  const fields = op.kind === 'delete' ? tombstoneFields(positionField, op.position, now) : upsert!.fields;
  if (op.kind === 'upsert' && upsert!.partial) {
    const update = { $set: fields, $unset: { [DELETED_FIELD]: true, [DELETED_AT_FIELD]: true } };
    return { q: filter, u: update, upsert: true };
  }
  return { q: filter, u: fields, upsert: true };
}
