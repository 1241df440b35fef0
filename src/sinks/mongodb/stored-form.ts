// How a document is represented in MongoDB, applied by the sink and by verify alike.
// - Field names: MongoDB (and FerretDB) refuse or misread names with "." or a leading "$"; they are
//   stored with the full-width characters MongoDB's documentation recommends (＄ U+FF04, ． U+FF0E),
//   so the data is kept and can never act as an operator or a path.
// - Integers beyond int64 (possible inside JSON columns) cannot be BSON int64; they are stored as
//   their exact decimal digits in a string. Decimal128 would hold up to 34 digits, but FerretDB
//   drops the connection on it, which would turn one document into an endless retry.
import type { Document, DocumentValue } from '../../router/document.js';
import { hasOwn, setOwn } from '../../decoder/own.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function escapeFieldName(name: string): string {
  const dotless = name.includes('.') ? name.replaceAll('.', '\uFF0E') : name;
  return dotless.startsWith('$') ? `\uFF04${dotless.slice(1)}` : dotless;
}

/** Whether a field name is stored as another (escapeFieldName). */
export function needsEscape(name: string): boolean {
  return name.startsWith('$') || name.includes('.');
}

/** Whether a bigint is stored as a BSON int64 (otherwise as its digits). */
export function fitsInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

function storedValue(value: DocumentValue): DocumentValue {
  if (typeof value === 'bigint') return fitsInt64(value) ? value : value.toString();
  if (Array.isArray(value)) return value.map(storedValue);
  if (value !== null && typeof value === 'object') return storedObject(value);
  return value;
}

/** The stored form of an object. Two names that escape alike are one field: the last value wins. */
function storedObject(object: Record<string, DocumentValue>): Record<string, DocumentValue> {
  const stored: Record<string, DocumentValue> = {};
  for (const key in object) {
    if (!hasOwn(object, key)) continue;
    setOwn(stored, needsEscape(key) ? escapeFieldName(key) : key, storedValue(object[key]!));
  }
  return stored;
}

export function toStoredForm(document: Document): Document {
  return storedObject(document);
}

/** The stored form with one more field (the sink's position), built as one object. */
export function toStoredFormWith(document: Document, field: string, value: bigint): Document {
  const stored = storedObject(document);
  stored[field] = value;
  return stored;
}

/**
 * A document to write in its stored form with the sink's position as its last field, without the
 * stored copy: the sink's BSON encoder applies the rules above as it writes the document's own
 * fields (bson-encode.ts), so a document is walked once, not copied and then walked. Anything
 * else that encodes it (js-bson, when the sink measures a statement it could not encode) gets the
 * copy through toBSON.
 */
export class StoredFields {
  constructor(
    readonly document: Document,
    readonly positionField: string,
    readonly position: bigint,
  ) {}

  toBSON(): Document {
    return toStoredFormWith(this.document, this.positionField, this.position);
  }
}
