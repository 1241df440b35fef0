// Turns a decoded row into the document a sink stores: the route's column selection applied, then
// its renames, and decimals given the representation the table asked for. verify builds documents
// the same way.
import { Decimal, type ColumnValue, type Row } from '../decoder/types.js';
import type { DecimalMode } from '../config/tables.js';
import type { TableRoute } from './router.js';
import { ConfigError } from '../errors.js';
import { hasOwn, setOwn } from '../decoder/own.js';

export type DocumentValue =
  null | boolean | number | bigint | string | DocumentValue[] | { [field: string]: DocumentValue };

export type Document = Record<string, DocumentValue>;

/** A decimal as the table asked for it: its exact text, or the nearest double. */
function decimalValue(value: Decimal, decimal: DecimalMode): string | number {
  return decimal === 'double' ? Number(value.text) : value.text;
}

function convert(value: ColumnValue, decimal: DecimalMode): DocumentValue {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Decimal) return decimalValue(value, decimal);
  if (Array.isArray(value)) return value.map((item) => convert(item, decimal));
  const nested: Record<string, DocumentValue> = {};
  for (const key in value) if (hasOwn(value, key)) setOwn(nested, key, convert(value[key]!, decimal));
  return nested;
}

/** Converts the decimals of a freshly decoded value where they are, without copying it. */
function convertInPlace(
  container: ColumnValue[] | { [key: string]: ColumnValue },
  decimal: DecimalMode,
): void {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const item = container[i]!;
      if (item === null || typeof item !== 'object') continue;
      if (item instanceof Decimal) container[i] = decimalValue(item, decimal);
      else convertInPlace(item, decimal);
    }
    return;
  }
  for (const key in container) {
    if (!hasOwn(container, key)) continue;
    const item = container[key]!;
    if (item === null || typeof item !== 'object') continue;
    if (item instanceof Decimal) setOwn(container, key, decimalValue(item, decimal));
    else convertInPlace(item, decimal);
  }
}

export function columnSelected(route: TableRoute, column: string): boolean {
  if (route.includeColumns) return route.includeColumns.has(column);
  return !route.excludeColumns?.has(column);
}

/** The document field a selected column is stored under. */
export function fieldName(route: TableRoute, column: string): string {
  return route.rename?.get(column) ?? column;
}

/**
 * The error for a rename onto the name of a column the target keeps under that name: both would
 * be one field. Knowable only with the table's columns (from the catalog or the stream), so it is
 * checked here rather than when TABLES is parsed.
 */
export function renameClash(route: TableRoute, columns: Iterable<string>): ConfigError | null {
  if (!route.rename) return null;
  const kept = new Set<string>();
  for (const column of columns)
    if (columnSelected(route, column) && !route.rename.has(column)) kept.add(column);
  for (const [column, field] of route.rename) {
    if (kept.has(field))
      return new ConfigError(
        `invalid configuration:\nTABLES: table "${route.table}": ${route.sink} target "${route.target}" renames column "${column}" to "${field}", which is also a column of the table: rename or leave out "${field}" too`,
      );
  }
  return null;
}

/**
 * The document of a decoded row that nothing else will read (a change event's image): the row
 * itself, its decimals converted in place, when the route keeps every column under its own name;
 * else toDocument's copy. Routes of one table share its decimal mode, so a second route finds the
 * row already converted. A copy per event mattered: a batch in flight outlives several young-
 * generation collections, so every copy it holds is promoted and collected again as old data.
 */
export function adoptAsDocument(row: Row, route: TableRoute): Document {
  if (route.rename || route.includeColumns || route.excludeColumns) return toDocument(row, route);
  convertInPlace(row, route.decimal);
  return row as Document;
}

export function toDocument(row: Row, route: TableRoute): Document {
  if (route.rename) {
    const clash = renameClash(route, Object.keys(row));
    if (clash) throw clash;
  }
  const selects = route.includeColumns !== null || route.excludeColumns !== null;
  const document: Document = {};
  for (const column in row) {
    if (!hasOwn(row, column) || (selects && !columnSelected(route, column))) continue;
    setOwn(document, fieldName(route, column), convert(row[column]!, route.decimal));
  }
  return document;
}
