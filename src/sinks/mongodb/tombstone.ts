// A delete leaves a tombstone, not a gap: {_id, _cdc_lsn, _cdc_deleted: true, _cdc_deleted_at}.
// Its position keeps guarding the document, so an older write arriving after the delete (resync's
// snapshot page, a replay) is refused as stale instead of bringing the row back. A later upsert
// replaces it like any older document. Readers (verify, counts, resync's id listing) skip
// tombstones; a TTL index on _cdc_deleted_at removes them after MONGODB_TOMBSTONE_TTL_MS.
export const DELETED_FIELD = '_cdc_deleted';
export const DELETED_AT_FIELD = '_cdc_deleted_at';

/** Matches every document except tombstones. */
export const LIVE_DOCUMENTS = { [DELETED_FIELD]: { $ne: true } } as const;

export function tombstoneFields(positionField: string, position: bigint, now: Date) {
  return { [positionField]: position, [DELETED_FIELD]: true, [DELETED_AT_FIELD]: now };
}
