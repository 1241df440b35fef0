// How a document is represented in MongoDB, applied by the sink and by verify alike.
// - Field names: MongoDB (and FerretDB) refuse or misread names with "." or a leading "$"; they are
//   stored with the full-width characters MongoDB's documentation recommends (＄ U+FF04, ． U+FF0E),
//   so the data is kept and can never act as an operator or a path.
// - Integers beyond int64 (possible inside JSON columns) cannot be BSON int64; they are stored as
//   Decimal128, which holds up to 34 digits exactly, and as a string beyond that.
import { Decimal128 } from 'mongodb';
import type { Document, DocumentValue } from '../../router/document.js';
import { setOwn } from '../../decoder/own.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function escapeFieldName(name: string): string {
  const dotless = name.includes('.') ? name.replaceAll('.', '\uFF0E') : name;
  return dotless.startsWith('$') ? `\uFF04${dotless.slice(1)}` : dotless;
}

function needsEscape(name: string): boolean {
  return name.startsWith('$') || name.includes('.');
}

type StoredValue = DocumentValue | Decimal128;

function storedValue(value: DocumentValue): StoredValue {
  if (typeof value === 'bigint') {
    if (value >= INT64_MIN && value <= INT64_MAX) return value;
    const digits = value.toString();
    return digits.replace('-', '').length <= 34 ? Decimal128.fromString(digits) : digits;
  }
  if (Array.isArray(value)) return value.map(storedValue) as DocumentValue[];
  if (value !== null && typeof value === 'object') return storedObject(value) as unknown as DocumentValue;
  return value;
}

function storedObject(object: Record<string, DocumentValue>): Record<string, StoredValue> {
  const stored: Record<string, StoredValue> = {};
  for (const key of Object.keys(object)) {
    setOwn(stored, needsEscape(key) ? escapeFieldName(key) : key, storedValue(object[key]!));
  }
  return stored;
}

export function toStoredForm(document: Document): Document {
  return storedObject(document) as unknown as Document;
}
