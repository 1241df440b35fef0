// The message key (the row's primary key, or message.key.columns) to a DocKey: its columns in key
// order (schema field order, or object key order when bare) and the document id derived from them.
import { DecodeError } from '../errors.js';
import { type CompiledStruct, compileStruct, convertStructInPlace } from './connect-schema.js';
import { decodeAvro, type WriterSchemas } from './avro/decode.js';
import type { AvroWriterSchema } from './avro/schema.js';
import { isWireFormat } from './avro/wire.js';
import { type CachedSchema, tableName, unwrap } from './envelope.js';
import { describeValue, isJsonObject, type JsonObject } from './json.js';
import { hasOwn } from './own.js';
import { SchemaCache } from './schema-cache.js';
import { type ColumnValue, type DocKey, type TableRef, Decimal } from './types.js';
import { asValueError } from './value-error.js';

const keySchemas = new SchemaCache<CachedSchema<CompiledStruct | string>>(512);

/** For tests and diagnostics: how many key schemas are compiled and cached. */
export function keySchemaCacheSize(): number {
  return keySchemas.size;
}

export function clearKeySchemaCache(): void {
  keySchemas.clear();
}

/** A stable JSON-like text for a nested value: bigints as digits, decimals as their text. */
function canonicalJson(value: ColumnValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return String(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'boolean':
      return String(value);
  }
  if (value instanceof Decimal) return value.text;
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const parts: string[] = [];
  for (const key in value) {
    if (hasOwn(value, key)) parts.push(JSON.stringify(key) + ':' + canonicalJson(value[key] as ColumnValue));
  }
  return '{' + parts.join(',') + '}';
}

/**
 * The string form of one key column: strings as they are, numbers and bigints via String (so an
 * int64 5n and a bare 5 both give "5"), booleans "true"/"false", decimals their text, arrays and
 * objects a canonical JSON text.
 */
export function keyColumnText(value: ColumnValue): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
  }
  if (value instanceof Decimal) return value.text;
  return canonicalJson(value);
}

/** One column: its string form. Several: JSON array of their string forms (unambiguous). */
export function documentId(columns: DocKey['columns']): string {
  if (columns.length === 1) return keyColumnText(columns[0]![1]);
  return JSON.stringify(columns.map(([, value]) => keyColumnText(value)));
}

function noPrimaryKey(table: TableRef, why: string): DecodeError {
  return new DecodeError(
    `Table ${tableName(table)} has no primary key (${why}): give it a primary key, or set the connector's ` +
      `message.key.columns for it, so every row has a stable document id`,
  );
}

const avroKeySchemas = new WeakMap<AvroWriterSchema, CompiledStruct | string>();

/** Reads the key of a row change on `table`; an Avro key's writer schema comes from `schemas`. */
export function decodeKey(key: Buffer | null, table: TableRef, schemas?: WriterSchemas): DocKey {
  if (key === null || key === undefined || key.length === 0)
    throw noPrimaryKey(table, 'the message key is null');
  const { payload, schema } = isWireFormat(key)
    ? decodeAvro(key, 'key', schemas, avroKeySchemas, compileStruct)
    : unwrap(key, 'key', keySchemas, compileStruct);
  if (payload === null) throw noPrimaryKey(table, 'the message key is null');
  if (!isJsonObject(payload)) {
    throw new DecodeError(
      `The message key of table ${tableName(table)} must be an object, got ${describeValue(payload)}`,
    );
  }
  // Mapped, not pushed: a pushed-to array reserves 17 slots, for a key of one column most often.
  let columns: [string, ColumnValue][];
  if (schema !== null) {
    if (typeof schema === 'string')
      throw new DecodeError(`The key schema of table ${tableName(table)} is unusable: ${schema}`);
    convertKey(payload, schema, table);
    columns = schema.fields.map((field) => [field.name, payload[field.name] as ColumnValue]);
  } else {
    columns = Object.keys(payload).map((name) => [name, payload[name] as ColumnValue]);
  }
  if (columns.length === 0) throw noPrimaryKey(table, 'the message key has no columns');
  for (const [name, value] of columns) {
    if (value === null) {
      throw new DecodeError(
        `Key column ${JSON.stringify(name)} of table ${tableName(table)} is null: no document id can be derived`,
      );
    }
  }
  return { columns, id: documentId(columns) };
}

function convertKey(payload: JsonObject, schema: CompiledStruct, table: TableRef): void {
  try {
    convertStructInPlace(payload, schema);
  } catch (error) {
    const e = asValueError(error);
    throw new DecodeError(
      `Cannot decode key column ${e.path} of table ${tableName(table)}: ${e.message}`,
      error,
    );
  }
}
