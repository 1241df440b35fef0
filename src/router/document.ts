// Turns a decoded row into the document a sink stores: the route's column selection applied, then
// its renames, and decimals given the representation the table asked for. verify builds documents
// the same way.
import { Decimal, type ColumnValue, type Row } from '../decoder/types.js';
import type { DecimalMode } from '../config/tables.js';
import type { TableRoute } from './router.js';
import { setOwnField } from '../util/own-field.js';
import { ConfigError } from '../errors.js';
import { hasOwn } from '../decoder/own.js';

export type DocumentValue =
  null | boolean | number | bigint | string | DocumentValue[] | { [field: string]: DocumentValue };

export type Document = Record<string, DocumentValue>;

function convert(value: ColumnValue, decimal: DecimalMode): DocumentValue {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Decimal) return decimal === 'double' ? Number(value.text) : value.text;
  if (Array.isArray(value)) return value.map((item) => convert(item, decimal));
  const nested: Record<string, DocumentValue> = {};
  for (const key in value) if (hasOwn(value, key)) setOwnField(nested, key, convert(value[key]!, decimal));
  return nested;
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

export function toDocument(row: Row, route: TableRoute): Document {
  if (route.rename) {
    const clash = renameClash(route, Object.keys(row));
    if (clash) throw clash;
  }
  const selects = route.includeColumns !== null || route.excludeColumns !== null;
  const document: Document = {};
  for (const column in row) {
    if (!hasOwn(row, column) || (selects && !columnSelected(route, column))) continue;
    setOwnField(document, fieldName(route, column), convert(row[column]!, route.decimal));
  }
  return document;
}
