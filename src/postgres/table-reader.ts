// Streams a table's rows in pages from one consistent snapshot (a REPEATABLE READ transaction
// with a cursor), so neither verify nor resync ever holds a whole table in memory.
import type pg from 'pg';
import { documentId } from '../decoder/key.js';
import type { DocKey, Row } from '../decoder/types.js';
import { describeTable, type TableInfo } from './catalog.js';
import { quoteIdent, selectExpression, toRow } from './row-values.js';

export interface SourceRow {
  readonly id: string;
  readonly key: DocKey;
  readonly row: Row;
  /** The primary key as Postgres prints it: where `pages(_, after)` goes on from. */
  readonly cursor: readonly string[];
}

export interface TableSnapshot {
  readonly info: TableInfo;
  /** Rows in primary-key order, a page at a time; only those after the key `after`, if given. */
  pages(pageSize?: number, after?: readonly string[]): AsyncGenerator<SourceRow[]>;
}

/** The table's alias in the query. */
const SOURCE = 'cdc_fanout_source';

/** The cursor columns' names in the select list (beside the row's own columns). */
const cursorColumn = (position: number) => `cdc_fanout_cursor_${position}`;

/** Session settings that make Postgres print values the way the decoder does. */
export async function prepareSession(client: pg.ClientBase): Promise<void> {
  await client.query("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1");
}

/**
 * Opens a snapshot of a table on a client that is not in a transaction; `run` gets the snapshot,
 * the transaction ends (rolled back: it only reads) when `run` settles.
 */
export async function withTableSnapshot<T>(
  client: pg.ClientBase,
  schema: string,
  table: string,
  run: (snapshot: TableSnapshot) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await prepareSession(client);
    const info = await describeTable(client, schema, table);
    const select = info.columns
      .map((column) => `${selectExpression(column)} AS ${quoteIdent(column.name)}`)
      .join(', ');
    // Qualified: a bare name would sort by the select list's column of that name, the value's
    // printed form (text order, which the cursor's row comparison below does not follow).
    const order = info.primaryKey.map((name) => `${SOURCE}.${quoteIdent(name)}`).join(', ');
    const keyTypes = info.primaryKey.map(
      (name) => info.columns.find((column) => column.name === name)!.sqlType,
    );
    const cursorSelect = info.primaryKey
      .map((name, position) => `${quoteIdent(name)}::text AS ${cursorColumn(position)}`)
      .join(', ');
    const cursor = `cdc_fanout_${process.pid}_${Date.now()}`;
    const rawText = { getTypeParser: () => (value: string) => value };
    const snapshot: TableSnapshot = {
      info,
      async *pages(pageSize = 1000, after?: readonly string[]) {
        // A row comparison orders like ORDER BY over the same columns.
        const where = after
          ? ` WHERE (${order}) > (${keyTypes.map((type, position) => `$${position + 1}::${type}`).join(', ')})`
          : '';
        await client.query(
          `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${select}, ${cursorSelect} FROM ${quoteIdent(schema)}.${quoteIdent(table)} AS ${SOURCE}${where} ORDER BY ${order}`,
          after ? [...after] : [],
        );
        for (;;) {
          const page = await client.query<Record<string, string | null>>({
            text: `FETCH ${pageSize} FROM ${cursor}`,
            types: rawText,
          });
          if (page.rows.length === 0) break;
          yield page.rows.map((texts) => {
            const row = toRow(info.columns, texts);
            const columns = info.primaryKey.map((name) => [name, row[name] ?? null] as const);
            const key = info.primaryKey.map((_, position) => texts[cursorColumn(position)] ?? '');
            return { id: documentId(columns), key: { columns, id: documentId(columns) }, row, cursor: key };
          });
        }
        await client.query(`CLOSE ${cursor}`);
      },
    };
    return await run(snapshot);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** Which of these ids (sink document ids) still have a row in Postgres. */
export async function existingIds(
  client: pg.ClientBase,
  info: TableInfo,
  ids: readonly string[],
): Promise<Set<string>> {
  const keyColumns = info.primaryKey.map((name) => info.columns.find((column) => column.name === name)!);
  const parts = ids.map((id) => (keyColumns.length === 1 ? [id] : (JSON.parse(id) as string[])));
  const arrays = keyColumns.map((_, position) => parts.map((part) => part[position] ?? null));
  const tuple = keyColumns.map((column) => quoteIdent(column.name)).join(', ');
  const unnest = keyColumns.map((column, position) => `$${position + 1}::${column.sqlType}[]`).join(', ');
  const result = await client.query<Record<string, string | null>>({
    text: `SELECT ${tuple} FROM ${quoteIdent(info.schema)}.${quoteIdent(info.table)} WHERE (${tuple}) IN (SELECT * FROM unnest(${unnest}))`,
    values: arrays,
    types: { getTypeParser: () => (value: string) => value },
  });
  return new Set(
    result.rows.map((texts) => {
      const row = toRow(keyColumns, texts);
      return documentId(keyColumns.map((column) => [column.name, row[column.name] ?? null] as const));
    }),
  );
}
