// The two JSON forms of a Kafka Connect key or value ({schema, payload} or the bare payload), and
// the Debezium envelope's op and source block.
import { DecodeError } from '../errors.js';
import {
  type JsonObject,
  type JsonValue,
  describeValue,
  isJsonObject,
  jsonTypeName,
  parseJson,
  type UnreadNumbers,
} from './json.js';
import { countOwnKeys, hasOwn } from './own.js';
import type { SchemaCache } from './schema-cache.js';
import { tableRef } from './table-refs.js';
import type { RowOp, SourcePosition, TableRef } from './types.js';

export interface Unwrapped<S> {
  /** The payload (null: a null payload). */
  readonly payload: JsonValue;
  /** The compiled schema, or null for the bare form or a null schema. */
  readonly schema: S | null;
}

const NOT_A_SCHEMA = Symbol('not a schema');

function looksLikeSchema(value: unknown): boolean {
  return isJsonObject(value) && typeof value['type'] === 'string';
}

/**
 * The {schema, payload} wrapper: an object with exactly those two keys whose schema is null or a
 * Connect schema (an object with a string "type"). Anything else is a bare payload, so a key whose
 * primary key columns happen to be called "schema" and "payload" still reads as bare unless its
 * "schema" column holds a Connect schema.
 */
function isWrapped(root: JsonObject): boolean {
  if (!hasOwn(root, 'schema') || !hasOwn(root, 'payload') || countOwnKeys(root) !== 2) return false;
  const schema = root['schema'];
  return schema === null || looksLikeSchema(schema);
}

const PREFIX = '{"schema":';
const PAYLOAD = ',"payload":';

/** End (exclusive) of the JSON object starting at `start`, or -1; strings and escapes respected. */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let i = start;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i++);
    if (c === 34 /* " */) {
      while (i < length) {
        const s = text.charCodeAt(i++);
        if (s === 92 /* \ */) i++;
        else if (s === 34) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Splits JsonConverter's exact output, '{"schema":<schema>,"payload":<payload>}', into the two
 * texts without parsing the schema, so the schema can be looked up by its text. Returns null when
 * the text does not have that exact layout; the caller then parses the whole text.
 */
export function splitWrapped(text: string): { schemaText: string; payloadText: string } | null {
  if (!text.startsWith(PREFIX) || text.charCodeAt(text.length - 1) !== 125 /* } */) return null;
  const start = PREFIX.length;
  let end: number;
  if (text.charCodeAt(start) === 123 /* { */) end = endOfObject(text, start);
  else if (text.startsWith('null', start)) end = start + 4;
  else return null;
  if (end < 0 || !text.startsWith(PAYLOAD, end)) return null;
  const payloadStart = end + PAYLOAD.length;
  if (payloadStart > text.length - 1) return null;
  return { schemaText: text.slice(start, end), payloadText: text.slice(payloadStart, text.length - 1) };
}

const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1');
const PAYLOAD_BYTES = Buffer.from(PAYLOAD, 'latin1');

/** Whether `marker` is at `at` in `bytes`: a loop, cheaper than Buffer#compare's call for a few bytes. */
function hasMarkerAt(bytes: Buffer, at: number, marker: Buffer): boolean {
  if (at < 0 || at + marker.length > bytes.length) return false;
  for (let i = 0; i < marker.length; i++) if (bytes[at + i] !== marker[i]) return false;
  return true;
}

/**
 * The hot path: the message is '{"schema":<cached schema>,"payload":<payload>}'. Any cut at a
 * ',"payload":' whose bytes before it are a cached schema is the right one: a cached schema is a
 * complete JSON object, and a JSON value starting where the schema starts ends where it ends, so
 * the cut cannot fall inside the schema. Only the payload is decoded to text and parsed. The
 * markers are ASCII, and no byte of a multi-byte UTF-8 sequence is, so byte offsets are exact.
 */
function unwrapCached<S>(
  bytes: Buffer,
  cache: SchemaCache<CachedSchema<S>>,
  unread: UnreadNumbers | undefined,
): Unwrapped<S> | null {
  const last = bytes.length - 1;
  if (bytes[last] !== 125 /* } */ || !hasMarkerAt(bytes, 0, PREFIX_BYTES)) return null;
  // Messages come in runs of one table, so the last schema found most likely ends this one too:
  // checking there first spares a search through the whole schema.
  let schema: CachedSchema<S> | undefined;
  let cut = PREFIX.length + cache.lastHitLength;
  if (cut + PAYLOAD.length <= last && hasMarkerAt(bytes, cut, PAYLOAD_BYTES))
    schema = cache.peek(bytes, PREFIX.length, cut);
  if (schema === undefined) {
    cut = bytes.indexOf(PAYLOAD_BYTES, PREFIX.length);
    if (cut < 0) return null;
    schema = cache.peek(bytes, PREFIX.length, cut);
  }
  if (schema === undefined || schema === NOT_A_SCHEMA) return null;
  try {
    return { payload: parseJson(bytes.toString('utf8', cut + PAYLOAD.length, last), unread), schema };
  } catch {
    return null; // not that layout after all: the full parse says what is wrong
  }
}

/**
 * Parses a key or value (its UTF-8 bytes) in either form. `what` names it in errors ("key",
 * "value"); `compile` turns a Connect schema into S and is cached by the schema's bytes; `unread`
 * names big numbers of the payload the caller never reads (json.ts), where the payload is parsed
 * on its own (a whole text, which may be the wrapper, is parsed exactly).
 */
export function unwrap<S>(
  bytes: Buffer,
  what: string,
  cache: SchemaCache<CachedSchema<S>>,
  compile: (schema: JsonObject) => S,
  unread?: UnreadNumbers,
): Unwrapped<S> {
  const cached = unwrapCached(bytes, cache, unread);
  if (cached !== null) return cached;
  const text = bytes.toString('utf8');
  if (text.startsWith(PREFIX) && text.charCodeAt(text.length - 1) === 125 /* } */) {
    const split = splitWrapped(text);
    if (split !== null) {
      try {
        let schema: CachedSchema<S> | null = null;
        if (split.schemaText !== 'null') {
          schema = cache.get(split.schemaText, () => {
            const parsed = parseJson(split.schemaText);
            return isJsonObject(parsed) && looksLikeSchema(parsed) ? compile(parsed) : NOT_A_SCHEMA;
          });
        }
        if (schema !== NOT_A_SCHEMA) return { payload: parseJson(split.payloadText, unread), schema };
      } catch {
        // not the layout it looked like (or not JSON at all): the full parse below says which
      }
    }
  }
  let root: JsonValue;
  try {
    root = parseJson(text);
  } catch (error) {
    throw new DecodeError(`The message ${what} is not valid JSON: ${(error as Error).message}`, error);
  }
  if (!isJsonObject(root)) {
    throw new DecodeError(`The message ${what} must be a JSON object, got ${jsonTypeName(root)}`);
  }
  if (!isWrapped(root)) return { payload: root, schema: null };
  const schema = root['schema'];
  return { payload: root['payload'] ?? null, schema: isJsonObject(schema) ? compile(schema) : null };
}

/** What a schema cache holds: the compiled schema, or a marker for "that was no schema". */
export type CachedSchema<S> = S | typeof NOT_A_SCHEMA;

/** Debezium's op codes we turn into events; 'm' and anything else is refused by name. */
export function readOp(payload: JsonObject): RowOp | 't' {
  if (!hasOwn(payload, 'op')) throw new DecodeError('The envelope has no "op" field');
  const op = payload['op'];
  switch (op) {
    case 'r':
    case 'c':
    case 'u':
    case 'd':
    case 't':
      return op;
    case 'm':
      throw new DecodeError(
        `Unsupported op "m": a logical decoding message (pg_logical_emit_message), not a row change; expected r, c, u, d or t`,
      );
    default:
      if (typeof op !== 'string')
        throw new DecodeError(`The envelope op must be a string, got ${describeValue(op)}`);
      throw new DecodeError(`Unsupported op ${JSON.stringify(op.slice(0, 40))}: expected r, c, u, d or t`);
  }
}

const LSN_LIMIT = 2n ** 64n;

function readLsn(value: JsonValue | undefined): bigint {
  if (value === undefined || value === null)
    throw new DecodeError('source.lsn is missing: every event needs its position');
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  } else if (typeof value === 'bigint') {
    if (value >= 0n && value < LSN_LIMIT) return value;
  }
  throw new DecodeError(`source.lsn must be a non-negative 64-bit integer, got ${describeValue(value)}`);
}

function readName(source: JsonObject, key: string): string {
  const value = source[key];
  if (typeof value === 'string' && value !== '') return value;
  throw new DecodeError(`source.${key} must be a non-empty string, got ${describeValue(value)}`);
}

function readTxId(value: JsonValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string') return value;
  throw new DecodeError(`source.txId must be an integer, a string or null, got ${describeValue(value)}`);
}

/** "true", "first", "last", "incremental", ... or true: a snapshot; "false", false or absent: not. */
function readSnapshot(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || typeof value === 'string') return true;
  throw new DecodeError(`source.snapshot must be a string or a boolean, got ${describeValue(value)}`);
}

function readCommitTs(value: JsonValue | undefined): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (value === undefined) throw new DecodeError('source.ts_ms is missing');
  throw new DecodeError(
    `source.ts_ms must be a non-negative integer (milliseconds), got ${describeValue(value)}`,
  );
}

export interface SourceInfo {
  readonly table: TableRef;
  readonly position: SourcePosition;
}

export function readSource(payload: JsonObject, op: RowOp | 't'): SourceInfo {
  const source = hasOwn(payload, 'source') ? payload['source'] : undefined;
  if (source === undefined || source === null) throw new DecodeError('The envelope has no "source" block');
  if (!isJsonObject(source))
    throw new DecodeError(`The envelope's source must be an object, got ${describeValue(source)}`);
  const table = tableRef(readName(source, 'db'), readName(source, 'schema'), readName(source, 'table'));
  const snapshot = readSnapshot(source['snapshot']);
  const lsnValue = source['lsn'];
  // An incremental snapshot's reads carry no lsn, and need none: a read is written below every
  // streamed change (SNAPSHOT_POSITION). Every other event needs its position.
  const lsn =
    (lsnValue === undefined || lsnValue === null) && snapshot && op === 'r' ? null : readLsn(lsnValue);
  const position: SourcePosition = {
    lsn,
    commitTsMs: readCommitTs(source['ts_ms']),
    txId: readTxId(source['txId']),
    snapshot,
  };
  return { table, position };
}

/** "inventory.customers", for messages. */
export function tableName(table: TableRef): string {
  return `${table.schema}.${table.table}`;
}
