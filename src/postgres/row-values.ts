// Reads a row from Postgres as the same values the decoder produces from Debezium's message for
// it (DESIGN.md §4), so verify can compare Postgres, Elasticsearch and MongoDB field by field.
// Each column is selected as text in exactly the format the decoder emits, then typed in JS.
// This mirrors the connector settings in debezium/postgres-connector.json (decimal precise,
// interval string, binary base64, adaptive_time_microseconds).
import { parseJson, type JsonValue } from '../decoder/json.js';
import { setOwn } from '../decoder/own.js';
import { Decimal, type ColumnValue, type Row } from '../decoder/types.js';
import { stringifyJson } from '../util/json.js';
import type { ColumnInfo } from './catalog.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A date or timestamp as the decoder prints Debezium's: 'infinity' and '-infinity' as Postgres
 * spells them, the year astronomical (1 BC is 0000, 44 BC -000043) and signed with six digits
 * outside 0000-9999, as ISO-8601's expanded years. `local` is the value in the printed zone.
 */
function temporal(col: string, local: string, rest: string): string {
  const bc = `extract(year FROM ${local}) < 0`;
  const year = `(CASE WHEN ${bc} THEN extract(year FROM ${local})::int + 1 ELSE extract(year FROM ${local})::int END)`;
  const printed = `CASE WHEN ${year} < 0 THEN '-' || lpad((-${year})::text, 6, '0') WHEN ${year} > 9999 THEN '+' || lpad(${year}::text, 6, '0') ELSE lpad(${year}::text, 4, '0') END`;
  return `CASE WHEN ${col} IS NULL THEN NULL WHEN NOT isfinite(${col}) THEN ${col}::text ELSE (${printed}) || to_char(${local}, ${rest}) END`;
}

/** The SELECT expression that renders a column the way the decoder formats it. */
export function selectExpression(column: ColumnInfo): string {
  const col = quoteIdent(column.name);
  if (column.elementType) return arrayExpression(column, col);
  switch (column.type) {
    case 'bpchar':
      // ::text strips char(n)'s padding; Debezium sends the value as Postgres prints it, padded.
      return `to_jsonb(${col}) #>> '{}'`;
    case 'hstore':
      // Debezium's hstore.handling.mode=json sends the map as JSON text, which the decoder parses.
      return `hstore_to_json(${col})::text`;
    case 'point':
      return `CASE WHEN ${col} IS NULL THEN NULL ELSE json_build_array(${col}[0], ${col}[1])::text END`;
    case 'money':
      return `${col}::numeric::text`;
    case 'time':
      // 24:00:00 is a time of its own (the end of the day); added to a date it would be 00:00.
      return `CASE WHEN ${col} = '24:00:00' THEN '24:00:00.000000' ELSE to_char(DATE '2000-01-01' + ${col}, 'HH24:MI:SS.US') END`;
    case 'inet':
    case 'cidr':
      // ::text prints the netmask always (::1/128); the type's output, which Debezium sends, omits a full one.
      return `CASE WHEN ${col} IS NULL THEN NULL ELSE concat(${col}) END`;
    case 'timetz':
      return `to_char(DATE '2000-01-01' + (${col} AT TIME ZONE 'UTC')::time, 'HH24:MI:SS.US"Z"')`;
    case 'date':
      return temporal(col, col, `'-MM-DD'`);
    case 'timestamp':
      return temporal(col, col, `'-MM-DD"T"HH24:MI:SS.US'`);
    case 'timestamptz':
      return temporal(col, `(${col} AT TIME ZONE 'UTC')`, `'-MM-DD"T"HH24:MI:SS.US"Z"'`);
    case 'interval':
      return `CASE WHEN ${col} IS NULL THEN NULL ELSE concat_ws(' ', extract(year FROM ${col}), extract(month FROM ${col}), extract(day FROM ${col}), extract(hour FROM ${col}), extract(minute FROM ${col}), extract(second FROM ${col})) END`;
    case 'bytea':
      return `translate(encode(${col}, 'base64'), E'\\n', '')`;
    default:
      return `${col}::text`;
  }
}

/** What an array's elements are called inside its subquery: no table column is expected to be. */
const ELEMENT = 'cdc_fanout_element';
const ORDINAL = 'cdc_fanout_ordinal';

/**
 * An array, element by element through the element type's own expression, as JSON text: its
 * dates, timestamps, bytea or numerics read exactly as a column of that type does (to_jsonb would
 * print them in its own formats). An array of more than one dimension keeps to_jsonb's nesting:
 * Debezium loses those (docs/types.md), and verify must report them as different.
 */
function arrayExpression(column: ColumnInfo, col: string): string {
  const element = selectExpression({
    ...column,
    name: ELEMENT,
    type: column.elementType!,
    elementType: null,
  });
  const elements = `SELECT coalesce(json_agg((${element}) ORDER BY ${ORDINAL}), '[]')::text FROM unnest(${col}) WITH ORDINALITY AS e(${ELEMENT}, ${ORDINAL})`;
  return `CASE WHEN ${col} IS NULL THEN NULL WHEN array_ndims(${col}) > 1 THEN to_jsonb(${col})::text ELSE (${elements}) END`;
}

/**
 * Debezium (precise mode) strips the trailing zeros of a numeric without declared scale, never
 * going below scale 0: 1.2436200 arrives as 1.24362, 100 stays 100.
 */
export function variableScaleText(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Seconds of an interval the way Debezium prints them. The driver (pgjdbc's PGInterval) keeps
 * whole seconds and microseconds and hands them over as the double `whole + micros / 1e6`;
 * Debezium turns that into BigDecimal.valueOf (the shortest decimal that reads back as the same
 * double), truncates it to 9 decimals and strips trailing zeros. So 6.789 prints as 6.789 but
 * 21.965973 as 21.965972999 (21 + 0.965973 is the double 21.965972999999998). Checked against
 * the connector's own output.
 */
export function debeziumIntervalSeconds(text: string): string {
  const trimmed = text.trim();
  const sign = trimmed.startsWith('-') ? -1 : 1;
  const [wholeText = '0', fractionText = ''] = trimmed.replace(/^[-+]/, '').split('.');
  const seconds =
    sign * Number(wholeText) + (sign * Number(fractionText.padEnd(6, '0').slice(0, 6))) / 1_000_000;
  // Seconds of an interval are below 60 and at least a microsecond apart: never exponent notation.
  const [integer = '0', decimals = ''] = String(seconds).split('.');
  const kept = decimals.slice(0, 9).replace(/0+$/, '');
  const result = kept ? `${integer}.${kept}` : integer;
  return result === '-0' ? '0' : result;
}

/** Debezium's io.debezium.time.Interval string: every component, P0Y0M-1DT0H0M0S. */
function intervalText(text: string): string {
  const [years, months, days, hours, minutes, seconds = '0'] = text.split(' ');
  return `P${years}Y${months}M${days}DT${hours}H${minutes}M${debeziumIntervalSeconds(seconds)}S`;
}

/**
 * A bit string as Debezium sends it (io.debezium.data.Bits): java.util.BitSet.toByteArray of the
 * bits, the rightmost bit first, so little-endian bytes without trailing zero bytes, in base64.
 * A varbit's leading zeros are not in it: "101" and "00101" are the same bytes.
 */
export function debeziumBits(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[text.length - 1 - i] !== '1') continue;
    const byte = i >> 3;
    while (bytes.length <= byte) bytes.push(0);
    bytes[byte]! |= 1 << (i & 7);
  }
  return Buffer.from(bytes).toString('base64');
}

/**
 * A point as Debezium sends it (io.debezium.data.geometry.Point): x, y, the point as
 * little-endian WKB, and no SRID.
 */
export function debeziumPoint(x: number, y: number): ColumnValue {
  const wkb = Buffer.alloc(21);
  wkb.writeUInt8(1, 0);
  wkb.writeUInt32LE(1, 1);
  wkb.writeDoubleLE(x, 5);
  wkb.writeDoubleLE(y, 13);
  return { x, y, wkb: wkb.toString('base64'), srid: null };
}

function scalar(type: string, text: string): ColumnValue {
  switch (type) {
    case 'bit':
    case 'varbit':
      return debeziumBits(text);
    case 'point': {
      const [x, y] = JSON.parse(text) as [number, number];
      return debeziumPoint(x, y);
    }
    case 'interval':
      return intervalText(text);
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
    case 'hstore':
      return parseJson(text);
    default:
      return text;
  }
}

/** An array element: the element type's text (a nested array's leaves are JSON values). */
function arrayElement(column: ColumnInfo, item: JsonValue): ColumnValue {
  if (item === null) return null;
  if (Array.isArray(item)) return item.map((inner) => arrayElement(column, inner));
  const text = typeof item === 'string' ? item : stringifyJson(item);
  return columnValue({ ...column, type: column.elementType!, elementType: null }, text);
}

export function columnValue(column: ColumnInfo, text: string | null): ColumnValue {
  if (text === null) return null;
  if (column.elementType) {
    const items = parseJson(text);
    return Array.isArray(items) ? items.map((item) => arrayElement(column, item)) : null;
  }
  if (column.type === 'numeric' && column.typmod === -1) return new Decimal(variableScaleText(text));
  return scalar(column.type, text);
}

export function toRow(columns: readonly ColumnInfo[], texts: Record<string, string | null>): Row {
  const row: Row = {};
  for (const column of columns) setOwn(row, column.name, columnValue(column, texts[column.name] ?? null));
  return row;
}
