// What verify and resync need to know about a table: its columns with their types, and its
// primary key in key order (the order Debezium puts in the message key).
import type pg from 'pg';
import { CdcFanoutError } from '../errors.js';

/** The table has a topic (Debezium topics outlive their tables) but no longer exists in Postgres. */
export class TableNotFoundError extends Error {
  constructor(readonly table: string) {
    super(`table ${table} does not exist in Postgres`);
    this.name = 'TableNotFoundError';
  }
}

/** Neither verify nor resync can pair a keyless table's rows with documents: it is skipped, named. */
export class NoPrimaryKeyError extends CdcFanoutError {
  constructor(readonly table: string) {
    super(`table ${table} has no primary key: give it one (or message.key.columns in Debezium)`, {
      retriable: false,
    });
    this.name = 'NoPrimaryKeyError';
  }
}

export interface ColumnInfo {
  readonly name: string;
  /**
   * pg_type.typname: int8, numeric, timestamptz, _text (arrays start with _), ...; a domain's base
   * type, as Debezium sends a domain's value the way it sends its base type's.
   */
  readonly type: string;
  /** 'e' for enums, 'b' for base types, ... */
  readonly typeKind: string;
  /** For arrays, the element's typname. */
  readonly elementType: string | null;
  /** The type as SQL can cast to it (format_type), e.g. "timestamp with time zone", "inventory.mood". */
  readonly sqlType: string;
  /** pg_attribute.atttypmod: -1 for a numeric without precision and scale (a variable-scale decimal). */
  readonly typmod: number;
}

export interface TableInfo {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
}

export async function describeTable(
  client: pg.ClientBase,
  schema: string,
  table: string,
): Promise<TableInfo> {
  const columns = await client.query<{
    name: string;
    type: string;
    kind: string;
    element: string | null;
    sql_type: string;
    typmod: number;
  }>(
    // A domain is resolved to its base type (through domains over domains), with the typmod the
    // domain gives it (a domain over numeric(10,2) has a column typmod of -1).
    `WITH RECURSIVE base(attnum, oid, typmod, depth) AS (
        SELECT a.attnum, a.atttypid, a.atttypmod, 0
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT b.attnum, d.typbasetype, d.typtypmod, b.depth + 1
          FROM base b JOIN pg_type d ON d.oid = b.oid
         WHERE d.typtype = 'd'
      )
     SELECT a.attname AS name, t.typname AS type, t.typtype AS kind, e.typname AS element,
            format_type(t.oid, NULL) AS sql_type, b.typmod
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN base b ON b.attnum = a.attnum
                  AND b.depth = (SELECT max(depth) FROM base x WHERE x.attnum = a.attnum)
       JOIN pg_type t ON t.oid = b.oid
       LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (columns.rows.length === 0) throw new TableNotFoundError(`${schema}.${table}`);
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = format('%I.%I', $1::text, $2::text)::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [schema, table],
  );
  if (key.rows.length === 0) throw new NoPrimaryKeyError(`${schema}.${table}`);
  return {
    schema,
    table,
    columns: columns.rows.map((row) => ({
      name: row.name,
      type: row.type,
      typeKind: row.kind,
      elementType: row.element,
      sqlType: row.sql_type,
      typmod: row.typmod,
    })),
    primaryKey: key.rows.map((row) => row.name),
  };
}
