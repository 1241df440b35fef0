// Compare-and-set planning, pure: given what a read found stored for each id, each operation is
// either already done (a newer or equal position is stored: stale) or one write whose filter names
// the exact stored state. A write that finds that state changed matches nothing, tries to insert
// and collides on _id (E11000): the caller re-reads and plans again. The filter is _id plus the
// position as a plain value, which any server can answer from an index ({_id, _cdc_lsn}), unlike
// a range on the position, which servers other than MongoDB answer by scanning the collection.
import type { AnyBulkWriteOperation } from 'mongodb';
import { SNAPSHOT_POSITION, type SinkOp } from '../sink.js';
import { DELETED_AT_FIELD, DELETED_FIELD, tombstoneFields } from './tombstone.js';

export type StoredDocument = { _id: string } & Record<string, unknown>;
export type Model = AnyBulkWriteOperation<StoredDocument>;

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
  readonly fields: Record<string, unknown>;
  /** Unchanged TOAST columns: a partial update keeps their stored values. */
  readonly partial: boolean;
}

export type Planned = { readonly kind: 'stale' } | { readonly kind: 'write'; readonly model: Model };

/**
 * Whether a stored position makes a write at `position` stale: a newer or the same one, except that
 * a snapshot read replaces what an earlier snapshot wrote at the same (snapshot) position.
 */
function isAtOrAfter(stored: bigint, position: bigint): boolean {
  return position === SNAPSHOT_POSITION ? stored > position : stored >= position;
}

/**
 * The write for `op` given the stored state of its id (undefined: no document). `upsert` is the
 * upsert's fields (ignored for a delete).
 */
export function planWrite(
  op: SinkOp,
  stored: Stored | undefined,
  upsert: UpsertFields | null,
  positionField: string,
  now: Date,
): Planned {
  if (stored?.position != null && isAtOrAfter(stored.position, op.position)) return { kind: 'stale' };
  const fields = op.kind === 'delete' ? tombstoneFields(positionField, op.position, now) : upsert!.fields;
  // No document, or one without a position, is matched as null (null matches a missing field); an
  // upsert that matches nothing inserts, so one statement type covers every case (one command).
  const filter = { _id: op.id, [positionField]: stored?.raw ?? null };
  if (op.kind === 'upsert' && upsert!.partial) {
    const update = { $set: fields, $unset: { [DELETED_FIELD]: true, [DELETED_AT_FIELD]: true } } as const;
    return { kind: 'write', model: { updateOne: { filter, update, upsert: true } } };
  }
  return { kind: 'write', model: { replaceOne: { filter, replacement: fields, upsert: true } } };
}
