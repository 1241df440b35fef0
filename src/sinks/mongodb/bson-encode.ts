// The BSON of the sink's statements. js-bson decides how to encode an object by duck typing: one
// with a `_bsontype` property is taken for a BSON class instance (a plain object with a string
// there is refused with BSONVersionError), one with a `toBSON` function is replaced by its result.
// A row's JSON column can hold any field name, `_bsontype` included, so here a value is encoded by
// what it is: a plain object (its prototype Object.prototype or null) or an array is always an
// embedded document of its own fields, whatever they are called. A Date (a tombstone's deletion
// time) is written as js-bson writes it; anything else that is an object (the driver's Long or
// Decimal128 read back as a stored position, a Uint8Array) is encoded by js-bson itself, so it is
// encoded exactly as the driver would.
//
// It is also the sink's largest cost after JSON parsing: js-bson matches a regular expression
// against every key, tracks every nested object in a Set against cycles, and builds each document
// in a 17 MiB buffer before copying it out. The statements here are trees from JSON.parse and the
// stored form (no cycles), written into one reused buffer and copied out once.
//
// A document's stored form (stored-form.ts) is written from the document itself: a StoredFields
// value is written with its names escaped and its integers beyond int64 as digits, byte for byte
// as its stored copy would be, without making the copy.
import { BSON } from 'mongodb';
import type { DocumentValue } from '../../router/document.js';
import { StoredFields, fitsInt64, needsEscape, toStoredForm } from './stored-form.js';

/** js-bson's own limit for one encoding (its internal buffer): a larger statement is refused. */
export const MAX_ENCODED_BYTES = 17 * 1024 * 1024;

const TYPE_DOUBLE = 0x01;
const TYPE_STRING = 0x02;
const TYPE_DOCUMENT = 0x03;
const TYPE_ARRAY = 0x04;
const TYPE_BOOLEAN = 0x08;
const TYPE_DATE = 0x09;
const TYPE_NULL = 0x0a;
const TYPE_INT32 = 0x10;
const TYPE_INT64 = 0x12;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const SAFE_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

/** Below this many UTF-16 units a string is copied by a loop while it is ASCII; above, by Buffer#write. */
const SHORT_STRING = 32;

/** The encoding buffer kept between statements; a larger one made for a large statement is dropped. */
const RETAINED_BYTES = 1024 * 1024;

/**
 * A statement over MAX_ENCODED_BYTES. Thrown only by the encoder's own limit, so the sink can tell
 * "too large" from a RangeError of anything else.
 */
export class StatementTooLargeError extends RangeError {
  override name = 'StatementTooLargeError';
}

let buffer = Buffer.allocUnsafeSlow(64 * 1024);
let at = 0;
/** Inside a StoredFields: names and integers are written in their stored form. */
let storing = false;

/** Makes room for `bytes` more bytes at `at`. */
function reserve(bytes: number): void {
  const needed = at + bytes;
  if (needed <= buffer.length) return;
  if (needed > MAX_ENCODED_BYTES) {
    // A short string reserves 3 bytes a unit: say "over the limit", not a size.
    throw new StatementTooLargeError(`the statement is over ${MAX_ENCODED_BYTES} bytes of BSON`);
  }
  const grown = Buffer.allocUnsafeSlow(Math.min(MAX_ENCODED_BYTES, Math.max(needed, buffer.length * 2)));
  buffer.copy(grown, 0, 0, at);
  buffer = grown;
}

/**
 * The UTF-8 bytes of `text` at `at`, room reserved first. Lone surrogates become U+FFFD, as
 * js-bson (Buffer#write) encodes them.
 */
function writeUtf8(text: string): void {
  const length = text.length;
  if (length <= SHORT_STRING) {
    reserve(length * 3);
    let i = 0;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      buffer[at + i] = c;
    }
    at += i === length ? length : buffer.write(text, at, 'utf8');
    return;
  }
  // Counted exactly: a long text may hold up to the limit, three times its length would not.
  const bytes = Buffer.byteLength(text, 'utf8');
  reserve(bytes);
  at += buffer.write(text, at, bytes, 'utf8');
}

/** An element's type and name (a C string: a NUL inside would end it early). */
function writeHeader(type: number, name: string): void {
  if (name.includes('\0')) throw new BSON.BSONError(`key ${name} must not contain null bytes`);
  reserve(1);
  buffer[at++] = type;
  writeUtf8(name);
  reserve(1);
  buffer[at++] = 0;
}

function writeString(name: string, value: string): void {
  writeHeader(TYPE_STRING, name);
  reserve(4);
  const lengthAt = at;
  at += 4;
  writeUtf8(value);
  reserve(1);
  buffer[at++] = 0;
  buffer.writeInt32LE(at - lengthAt - 4, lengthAt);
}

function writeNumber(name: string, value: number): void {
  // js-bson's rule: an int32 when the number is an integer in its range, except -0 (a double).
  if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0)) {
    writeHeader(TYPE_INT32, name);
    reserve(4);
    at = buffer.writeInt32LE(value, at);
  } else {
    writeHeader(TYPE_DOUBLE, name);
    reserve(8);
    at = buffer.writeDoubleLE(value, at);
  }
}

function writeBigInt(name: string, value: bigint): void {
  if (!fitsInt64(value)) {
    if (storing) return writeString(name, value.toString());
    // js-bson would wrap it silently into 64 bits: another number, stored as if it were this one.
    throw new BSON.BSONError(`field ${name}: ${value} is beyond the range of a BSON int64`);
  }
  writeHeader(TYPE_INT64, name);
  if (value >= -SAFE_INTEGER && value <= SAFE_INTEGER) {
    // Positions and most bigint columns: as a number, the two words cost no BigInt arithmetic
    // (writeBigInt64LE makes three BigInts per value).
    writeSafeInt64(Number(value));
  } else {
    reserve(8);
    at = buffer.writeBigInt64LE(value, at);
  }
}

/** A safe integer as 8 bytes of two's complement: `>>> 0` is the low word, the floor the high. */
function writeSafeInt64(exact: number): void {
  reserve(8);
  at = buffer.writeUInt32LE(exact >>> 0, at);
  at = buffer.writeInt32LE(Math.floor(exact / 2 ** 32), at);
}

/** A tombstone's deletion time. An invalid date is 0, as js-bson writes it (Long.fromNumber(NaN)). */
function writeDate(name: string, value: Date): void {
  const milliseconds = value.getTime();
  writeHeader(TYPE_DATE, name);
  writeSafeInt64(Number.isNaN(milliseconds) ? 0 : milliseconds);
}

/** Whether `value` is encoded as a document of its own fields. */
function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A value that is not JSON-like, as js-bson encodes it in a field (nothing, for a function). */
function writeByJsBson(name: string, value: unknown): void {
  const wrapped = BSON.serialize({ v: value }, { checkKeys: false, ignoreUndefined: false });
  // {int32 length, element: type, "v\0", bytes..., 0}: an empty document when js-bson skipped it.
  if (wrapped.length === 5) return;
  writeHeader(wrapped[4]!, name);
  const bytes = wrapped.subarray(7, wrapped.length - 1);
  reserve(bytes.length);
  buffer.set(bytes, at);
  at += bytes.length;
}

function writeValue(name: string, value: unknown): void {
  switch (typeof value) {
    case 'string':
      return writeString(name, value);
    case 'number':
      return writeNumber(name, value);
    case 'boolean':
      writeHeader(TYPE_BOOLEAN, name);
      reserve(1);
      buffer[at++] = value ? 1 : 0;
      return;
    case 'bigint':
      return writeBigInt(name, value);
    case 'undefined':
      return writeHeader(TYPE_NULL, name); // as the driver encodes a command (ignoreUndefined off)
    case 'object':
      if (value === null) return writeHeader(TYPE_NULL, name);
      if (Array.isArray(value)) {
        writeHeader(TYPE_ARRAY, name);
        return writeArray(value);
      }
      if (isPlainObject(value)) {
        writeHeader(TYPE_DOCUMENT, name);
        return writeDocument(value);
      }
      if (value instanceof Date) return writeDate(name, value);
      if (value instanceof StoredFields) {
        writeHeader(TYPE_DOCUMENT, name);
        return writeStoredFields(value);
      }
      return writeByJsBson(name, value);
    default:
      return writeByJsBson(name, value);
  }
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/**
 * The elements of a document, in Object.keys order (what js-bson walks), without the array. In a
 * stored form, a name to escape may meet another that escapes alike (two fields that become one):
 * such an object is written from its stored copy instead, which has no name left to escape.
 */
function writeElements(document: Record<string, unknown>): void {
  const first = at;
  for (const name in document) {
    if (!hasOwnProperty.call(document, name)) continue;
    if (storing && needsEscape(name)) {
      at = first;
      return writeElements(toStoredForm(document as Record<string, DocumentValue>));
    }
    writeValue(name, document[name]);
  }
}

function startDocument(): number {
  reserve(5);
  const start = at;
  at += 4;
  return start;
}

function endDocument(start: number): void {
  reserve(1);
  buffer[at++] = 0;
  buffer.writeInt32LE(at - start, start);
}

function writeDocument(document: Record<string, unknown>): void {
  const start = startDocument();
  writeElements(document);
  endDocument(start);
}

function writeStoredFields(fields: StoredFields): void {
  const start = startDocument();
  storing = true;
  writeElements(fields.document);
  storing = false;
  writeBigInt(fields.positionField, fields.position);
  endDocument(start);
}

function writeArray(array: readonly unknown[]): void {
  const start = startDocument();
  for (let i = 0; i < array.length; i++) writeValue(String(i), array[i]);
  endDocument(start);
}

/**
 * The BSON of a plain object (a statement, a document), in a Buffer of its own. Throws BSONError
 * for a value BSON cannot hold (a key with a NUL, an integer beyond int64, what js-bson refuses),
 * and StatementTooLargeError for a statement over MAX_ENCODED_BYTES.
 */
export function encodeDocument(document: Record<string, unknown>): Buffer {
  at = 0;
  try {
    writeDocument(document);
    const encoded = Buffer.allocUnsafe(at);
    buffer.copy(encoded, 0, 0, at);
    return encoded;
  } finally {
    at = 0;
    storing = false;
    // A rare large statement does not keep megabytes in memory for the small ones after it.
    if (buffer.length > RETAINED_BYTES) buffer = Buffer.allocUnsafeSlow(RETAINED_BYTES);
  }
}
