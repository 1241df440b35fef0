// Compares one table in Postgres with its documents in one sink: counts, missing ids, extra ids,
// and documents that differ, with the first few differences field by field. Postgres is read a
// page at a time from one snapshot, and each page is looked up in the sink by id.
import type pg from 'pg';
import { existingIds, withTableSnapshot } from '../postgres/table-reader.js';
import { toDocument, type Document } from '../router/document.js';
import type { TableRoute } from '../router/router.js';
import { differences, type FieldDifference } from './canonical.js';
import type { SinkReader } from './sink-readers.js';

const EXAMPLES = 5;

export interface TableReport {
  readonly table: string;
  readonly sink: string;
  readonly target: string;
  readonly sourceRows: number;
  readonly sinkDocuments: number;
  readonly missing: { count: number; ids: string[] };
  readonly extra: { count: number; ids: string[] };
  readonly different: { count: number; examples: Array<{ id: string; fields: FieldDifference[] }> };
  readonly ok: boolean;
}

export interface VerifyOptions {
  /** The sink's own representation of a document (e.g. MongoDB's for integers beyond int64). */
  readonly storedForm?: (document: Document) => Document;
  readonly pageSize?: number;
}

export async function verifyTable(
  client: pg.ClientBase,
  reader: SinkReader,
  route: TableRoute,
  options: VerifyOptions = {},
): Promise<TableReport> {
  const [schema, table] = route.table.split('.') as [string, string];
  const storedForm = options.storedForm ?? ((document: Document) => document);
  const sinkDocuments = await reader.count(route.target);
  const missing = { count: 0, ids: [] as string[] };
  const different = { count: 0, examples: [] as Array<{ id: string; fields: FieldDifference[] }> };
  let sourceRows = 0;
  const info = await withTableSnapshot(client, schema, table, async (snapshot) => {
    for await (const page of snapshot.pages(options.pageSize)) {
      sourceRows += page.length;
      const stored = await reader.fetch(
        route.target,
        page.map((row) => row.id),
      );
      for (const { id, row } of page) {
        const document = stored.get(id);
        if (!document) {
          missing.count++;
          if (missing.ids.length < EXAMPLES) missing.ids.push(id);
          continue;
        }
        const fields = differences(storedForm(toDocument(row, route)), document);
        if (fields.length > 0) {
          different.count++;
          if (different.examples.length < EXAMPLES) different.examples.push({ id, fields });
        }
      }
    }
    return snapshot.info;
  });
  const extra = { count: sinkDocuments - (sourceRows - missing.count), ids: [] as string[] };
  if (extra.count > 0) {
    for await (const ids of reader.ids(route.target)) {
      const present = await existingIds(client, info, ids);
      for (const id of ids) if (!present.has(id) && extra.ids.length < EXAMPLES) extra.ids.push(id);
      if (extra.ids.length >= EXAMPLES) break;
    }
  }
  return {
    table: route.table,
    sink: reader.sink,
    target: route.target,
    sourceRows,
    sinkDocuments,
    missing,
    extra,
    different,
    ok: missing.count === 0 && extra.count === 0 && different.count === 0,
  };
}
