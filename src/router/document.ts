// Turns a decoded row into the document a sink stores: the route's column selection applied and
// decimals given the representation the table asked for. verify builds documents the same way.
import { Decimal, type ColumnValue, type Row } from '../decoder/types.js';
import type { DecimalMode } from '../config/tables.js';
import type { TableRoute } from './router.js';
import { setOwnField } from '../util/own-field.js';

export type DocumentValue =
  null | boolean | number | bigint | string | DocumentValue[] | { [field: string]: DocumentValue };

export type Document = Record<string, DocumentValue>;

function convert(value: ColumnValue, decimal: DecimalMode): DocumentValue {
  if (value instanceof Decimal) return decimal === 'double' ? Number(value.text) : value.text;
  if (Array.isArray(value)) return value.map((item) => convert(item, decimal));
  if (value !== null && typeof value === 'object') {
    const nested: Record<string, DocumentValue> = {};
    for (const [key, item] of Object.entries(value)) setOwnField(nested, key, convert(item, decimal));
    return nested;
  }
  return value;
}

export function columnSelected(route: TableRoute, column: string): boolean {
  if (route.includeColumns) return route.includeColumns.has(column);
  return !route.excludeColumns?.has(column);
}

export function toDocument(row: Row, route: TableRoute): Document {
  const document: Document = {};
  for (const [column, value] of Object.entries(row)) {
    if (columnSelected(route, column)) setOwnField(document, column, convert(value, route.decimal));
  }
  return document;
}
