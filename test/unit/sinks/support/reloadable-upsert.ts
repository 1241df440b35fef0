// Upserts as the pipeline makes them (src/pipeline/reloadable-upsert.ts), whose record decodes to
// the same row each time it is decoded again, counted: a sink's tests see when the sink let go of
// a document (a read after that decodes) and when it read one again.
import type { Row, RowChange } from '../../../../src/decoder/types.js';
import { ReloadableUpsert } from '../../../../src/pipeline/reloadable-upsert.js';
import { adoptAsDocument } from '../../../../src/router/document.js';
import type { TableRoute } from '../../../../src/router/router.js';

export function reloadableUpsert(
  target: string,
  id: string,
  position: bigint,
  row: Row,
): { op: ReloadableUpsert; redecodes: () => number } {
  const table = { database: 'db', schema: 'inventory', table: 't' };
  const record = { topic: 'cdc.inventory.t', partition: 0, offset: '0' };
  const decoded = (): RowChange => ({
    kind: 'row',
    op: 'c',
    table,
    key: { columns: [['id', id]], id },
    before: null,
    after: structuredClone(row),
    unchangedColumns: [],
    columnTypes: null,
    position: { lsn: position, commitTsMs: 0, txId: null, snapshot: false },
    record,
  });
  const route: TableRoute = {
    table: 'inventory.t',
    sink: 'mongodb',
    target,
    includeColumns: null,
    excludeColumns: null,
    rename: null,
    decimal: 'string',
    truncate: 'ignore',
  };
  let redecodes = 0;
  const origin = { table, position: decoded().position, record, columnTypes: null };
  const document = adoptAsDocument(decoded().after!, route);
  const op = new ReloadableUpsert(target, id, position, origin, [], document, route, () => {
    redecodes++;
    return decoded();
  });
  return { op, redecodes: () => redecodes };
}
