// Reads a row from Postgres as the same values the decoder produces from Debezium's message for
// it (DESIGN.md §4), so verify can compare Postgres, Elasticsearch and MongoDB field by field.
// Each column is selected as text in exactly the format the decoder emits, then typed in JS.
// This mirrors the connector settings in debezium/postgres-connector.json (decimal precise,
// interval string, binary base64, adaptive_time_microseconds).
import { parseJson, type JsonValue } from '../decoder/json.js';
import { setOwn } from '../decoder/own.js';
import { Decimal, type ColumnValue, type Row } from '../decoder/types.js';
import type { ColumnInfo } from './catalog.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SELECT expression that renders a column the way the decoder formats it. */
export function selectExpression(column: ColumnInfo): string {
  const col = quoteIdent(column.name);
  if (column.elementType) return `to_jsonb(${col})::text`;
  switch (column.type) {
    case 'money':
      return `${col}::numeric::text`;
    case 'time':
      return `to_char(DATE '2000-01-01' + ${col}, 'HH24:MI:SS.US')`;
    case 'timetz':
      return `to_char(DATE '2000-01-01' + (${col} AT TIME ZONE 'UTC')::time, 'HH24:MI:SS.US"Z"')`;
    case 'timestamp':
      return `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
    case 'timestamptz':
      return `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'interval':
      // Debezium prints every component: P0Y0M-1DT0H0M0S.
      return `CASE WHEN ${col} IS NULL THEN NULL ELSE concat('P', extract(year FROM ${col}), 'Y', extract(month FROM ${col}), 'M', extract(day FROM ${col}), 'DT', extract(hour FROM ${col}), 'H', extract(minute FROM ${col}), 'M', trim_scale(extract(second FROM ${col})), 'S') END`;
    case 'bytea':
      return `translate(encode(${col}, 'base64'), E'\\n', '')`;
    default:
      return `${col}::text`;
  }
}

function scalar(type: string, text: string): ColumnValue {
  switch (type) {
    case 'bool':
      return text === 't' || text === 'true';
    case 'int2':
    case 'int4':
    case 'oid':
    case 'float4':
    case 'float8':
      return Number(text);
    case 'int8':
      return BigInt(text);
    case 'numeric':
    case 'money':
      return new Decimal(text);
    case 'json':
    case 'jsonb':
      return parseJson(text);
    default:
      return text;
  }
}

/** Array elements arrive as JSON (from to_jsonb); type them like the decoder types array items. */
function arrayElement(type: string, value: JsonValue): ColumnValue {
  if (value === null) return null;
  switch (type) {
    case 'int8':
      return BigInt(value as number | bigint);
    case 'numeric':
      return new Decimal(String(value));
    case 'json':
    case 'jsonb':
      return value;
    default:
      return Array.isArray(value) ? value.map((item) => arrayElement(type, item)) : (value as ColumnValue);
  }
}

export function columnValue(column: ColumnInfo, text: string | null): ColumnValue {
  if (text === null) return null;
  if (column.elementType) {
    const items = parseJson(text);
    return Array.isArray(items) ? items.map((item) => arrayElement(column.elementType!, item)) : null;
  }
  return scalar(column.type, text);
}

export function toRow(columns: readonly ColumnInfo[], texts: Record<string, string | null>): Row {
  const row: Row = {};
  for (const column of columns) setOwn(row, column.name, columnValue(column, texts[column.name] ?? null));
  return row;
}
