// Which unique index a duplicate key error (E11000) hit. On _id it means a guarded write matched no
// document that one exists (stale, or changed since the position read, or a racing insert):
// re-read and plan again. So does one on the {_id, position} index that earlier versions of the
// sink created and collections may still have. On any other index it is the user's unique
// constraint refusing this row: permanent.
export const POSITION_INDEX = '_cdc_position';

const ID_INDEXES = new Set(['_id_', POSITION_INDEX]);

/** `errmsg` of the write error: "E11000 duplicate key error collection: db.c index: _id_ dup key: ...". */
export function isDuplicateOnId(errmsg: string | undefined): boolean {
  const index = /index: (\S+)/.exec(errmsg ?? '')?.[1];
  // A message naming no index (FerretDB) is taken as _id: the one unique index the sink knows of.
  return index === undefined || ID_INDEXES.has(index);
}
