// A comparable text for a document value, so values that mean the same compare equal whatever
// each store hands back: an int64 read as number or bigint, a Decimal128, object keys in any order,
// a float's NaN or ±Infinity as MongoDB's double or as the string Elasticsearch keeps for it.
import { Decimal128, Double, Int32, Long } from 'mongodb';

export function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) return JSON.stringify(String(value));
      return Number.isInteger(value) ? BigInt(value).toString() : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  // By class, not by a `_bsontype` field: a JSON column's object may have a field of that name.
  if (value instanceof Decimal128) return String(value);
  if (value instanceof Long) return String(value); // exact decimal digits, not via a double
  if (value instanceof Int32 || value instanceof Double) return canonical(Number(value.valueOf()));
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(',')}}`;
}

export interface FieldDifference {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

/** Field-by-field differences between the document Postgres implies and the one a sink holds. */
export function differences(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
): FieldDifference[] {
  const found: FieldDifference[] = [];
  for (const field of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const want = Object.hasOwn(expected, field) ? canonical(expected[field]) : '(absent)';
    const got = Object.hasOwn(actual, field) ? canonical(actual[field]) : '(absent)';
    if (want !== got) found.push({ field, expected: want, actual: got });
  }
  return found;
}
