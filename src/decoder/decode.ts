// One Kafka record to one typed change event. Pure: no I/O, no logging, no clock. Never throws:
// every failure, including a bug in here, comes back as { ok: false, error: DecodeError }.
import { DecodeError, errorMessage } from '../errors.js';
import { decodeAvro, type WriterSchemas } from './avro/decode.js';
import type { AvroWriterSchema } from './avro/schema.js';
import { isWireFormat } from './avro/wire.js';
import { type CompiledStruct, compileStruct } from './connect-schema.js';
import { type CachedSchema, readOp, readSource, tableName, unwrap } from './envelope.js';
import { type JsonObject, type UnreadNumbers, describeValue, isJsonObject } from './json.js';
import { decodeKey } from './key.js';
import { hasOwn } from './own.js';
import { convertRowWithSchema, convertRowWithoutSchema, type Placeholders } from './row.js';
import { SchemaCache } from './schema-cache.js';
import type {
  ChangeEvent,
  ColumnTypes,
  RawRecord,
  RecordCoordinates,
  Row,
  RowOp,
  TableRef,
} from './types.js';
import { asValueError } from './value-error.js';

export type DecodeResult = { ok: true; event: ChangeEvent } | { ok: false; error: DecodeError };

/** The value schema, compiled: the row schemas of the before and after images (or why not). */
export interface CompiledEnvelope {
  readonly before: CompiledStruct | string;
  readonly after: CompiledStruct | string;
}

function envelopeField(schema: JsonObject, name: string): CompiledStruct | string {
  const fields = schema['fields'];
  if (schema['type'] !== 'struct' || !Array.isArray(fields)) return 'the value schema is not a struct';
  const field = fields.find((f) => isJsonObject(f) && f['field'] === name);
  if (field === undefined) return `the value schema has no "${name}" field`;
  return compileStruct(field);
}

export function compileEnvelope(schema: JsonObject): CompiledEnvelope {
  return { before: envelopeField(schema, 'before'), after: envelopeField(schema, 'after') };
}

const valueSchemas = new SchemaCache<CachedSchema<CompiledEnvelope>>(512);

/** For tests and diagnostics: how many value schemas are compiled and cached. */
export function valueSchemaCacheSize(): number {
  return valueSchemas.size;
}

export function clearValueSchemaCache(): void {
  valueSchemas.clear();
}

function image(
  payload: JsonObject,
  name: 'before' | 'after',
  schema: CompiledEnvelope | null,
  table: TableRef,
  unchanged: Placeholders,
): Row | null {
  const raw = hasOwn(payload, name) ? payload[name] : undefined;
  if (raw === undefined || raw === null) return null;
  try {
    if (schema === null) return convertRowWithoutSchema(raw, unchanged);
    const struct = schema[name];
    if (typeof struct === 'string') {
      throw new DecodeError(`The value schema of table ${tableName(table)} is unusable: ${struct}`);
    }
    return convertRowWithSchema(raw, struct, unchanged);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    const e = asValueError(error);
    const where = e.path === '' ? name : `${name}.${e.path}`;
    throw new DecodeError(`Cannot decode ${where} of table ${tableName(table)}: ${e.message}`, error);
  }
}

/** The image's declared column types (shared with the cached schema, never copied). */
function columnTypesOf(schema: CompiledEnvelope | null, name: 'before' | 'after'): ColumnTypes | null {
  const struct = schema?.[name];
  return struct === undefined || typeof struct === 'string' ? null : struct.columns;
}

/** Shared by the events that have every column: an event is kept until its batch is committed. */
const NO_COLUMNS: readonly string[] = Object.freeze([]);

const OP_NAMES: Record<RowOp, string> = { r: 'snapshot read', c: 'insert', u: 'update', d: 'delete' };

function eventName(op: RowOp, table: TableRef): string {
  return `${OP_NAMES[op]} event ('${op}') of table ${tableName(table)}`;
}

const avroValueSchemas = new WeakMap<AvroWriterSchema, CompiledEnvelope>();

/**
 * Debezium's nanosecond timestamps, the envelope's own ts_ns and its source block's, are never
 * read (the position is source.lsn, the commit time source.ts_ms). Their 19 digits are beyond
 * 2^53, so parsing them exactly meant searching every message's text for them: they are left as
 * JSON.parse gives them. A row column called ts_ns is not the envelope's and stays exact.
 */
const UNREAD_ENVELOPE_NUMBERS: UnreadNumbers = (holder, key, root) =>
  key === 'ts_ns' && isJsonObject(root) && (holder === root || holder === root['source']);

function decode(raw: RawRecord, schemas: WriterSchemas | undefined): ChangeEvent {
  const record: RecordCoordinates = { topic: raw.topic, partition: raw.partition, offset: raw.offset };
  const value = raw.value;
  if (value === null || value === undefined || value.length === 0) return { kind: 'tombstone', record };
  const { payload, schema } = isWireFormat(value)
    ? decodeAvro(value, 'value', schemas, avroValueSchemas, compileEnvelope)
    : unwrap(value, 'value', valueSchemas, compileEnvelope, UNREAD_ENVELOPE_NUMBERS);
  if (payload === null) return { kind: 'tombstone', record };
  if (!isJsonObject(payload)) {
    throw new DecodeError(
      `The message value must be a Debezium envelope (an object), got ${describeValue(payload)}`,
    );
  }
  const op = readOp(payload);
  const { table, position } = readSource(payload, op);
  if (op === 't') return { kind: 'truncate', table, position: { ...position, lsn: position.lsn! }, record };

  const key = decodeKey(raw.key, table, schemas);
  if (op === 'd') {
    const before = image(payload, 'before', schema, table, 'drop');
    if (before === null) {
      throw new DecodeError(
        `The ${eventName(op, table)} has no before image: a delete needs at least the key columns in it`,
      );
    }
    if (hasOwn(payload, 'after') && payload['after'] !== null) {
      throw new DecodeError(`The ${eventName(op, table)} has an after image, which a delete cannot have`);
    }
    const columnTypes = columnTypesOf(schema, 'before');
    return {
      kind: 'row',
      op,
      table,
      key,
      before,
      after: null,
      unchangedColumns: NO_COLUMNS,
      columnTypes,
      position,
      record,
    };
  }
  const unread: string[] = [];
  // Only an update can leave a column unread; elsewhere the placeholder text is the row's own.
  const after = image(payload, 'after', schema, table, op === 'u' ? unread : 'keep');
  if (after === null) throw new DecodeError(`The ${eventName(op, table)} has no after image`);
  const before = image(payload, 'before', schema, table, 'drop');
  const columnTypes = columnTypesOf(schema, 'after');
  const unchangedColumns = unread.length > 0 ? unread : NO_COLUMNS;
  return { kind: 'row', op, table, key, before, after, unchangedColumns, columnTypes, position, record };
}

/**
 * Decodes one Kafka record, JSON or Avro (Confluent wire format). Never throws. `schemas` holds the
 * writer schemas of the record's Avro key and value, fetched beforehand (src/registry); without it
 * an Avro record fails to decode.
 */
export function decodeRecord(raw: RawRecord, schemas?: WriterSchemas): DecodeResult {
  try {
    return { ok: true, event: decode(raw, schemas) };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error };
    return { ok: false, error: new DecodeError(`Internal decoder error: ${safeMessage(error)}`, error) };
  }
}

function safeMessage(error: unknown): string {
  try {
    return errorMessage(error);
  } catch {
    return 'unprintable error';
  }
}
