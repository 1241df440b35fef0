// Builders for Debezium 3.2-shaped test messages (as Kafka's JsonConverter writes them), so each
// test states only what it is about. Payloads may hold bigints: they are written as JSON integers.
import assert from 'node:assert/strict';
import { stringify } from 'lossless-json';
import { decodeRecord } from '../../../src/decoder/index.js';
import type { ChangeEvent, RawRecord, RowChange } from '../../../src/decoder/index.js';

export type Schema = Record<string, unknown>;

/** A column schema: `col('id', 'int32')`, `col('day', 'int32', { name: 'io.debezium.time.Date' })`. */
export function col(field: string, type: string, extra: Schema = {}): Schema {
  return { type, optional: true, ...extra, field };
}

export function required(schema: Schema): Schema {
  return { ...schema, optional: false };
}

export function decimalCol(field: string, scale: number, precision?: number): Schema {
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return col(field, 'bytes', { name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters });
}

export function variableScaleDecimalCol(field: string): Schema {
  return col(field, 'struct', {
    fields: [
      { type: 'int32', optional: false, field: 'scale' },
      { type: 'bytes', optional: false, field: 'value' },
    ],
    name: 'io.debezium.data.VariableScaleDecimal',
    version: 1,
    doc: 'Variable scaled decimal',
  });
}

export function logicalCol(field: string, type: string, name: string): Schema {
  return col(field, type, { name, version: 1 });
}

const SOURCE_SCHEMA: Schema = {
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'version' },
    { type: 'string', optional: false, field: 'connector' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'int64', optional: false, field: 'ts_ms' },
    {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      default: 'false',
      field: 'snapshot',
    },
    { type: 'string', optional: false, field: 'db' },
    { type: 'string', optional: true, field: 'sequence' },
    { type: 'string', optional: false, field: 'schema' },
    { type: 'string', optional: false, field: 'table' },
    { type: 'int64', optional: true, field: 'txId' },
    { type: 'int64', optional: true, field: 'lsn' },
    { type: 'int64', optional: true, field: 'xmin' },
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  version: 1,
  field: 'source',
};

export const TABLE = { database: 'inventory', schema: 'inventory', table: 'things' };

/** The Debezium envelope schema around a table's columns. */
export function valueSchema(columns: Schema[], table = TABLE.table): Schema {
  const row = (field: string): Schema => ({
    type: 'struct',
    fields: columns,
    optional: true,
    name: `cdc.inventory.${table}.Value`,
    field,
  });
  return {
    type: 'struct',
    fields: [
      row('before'),
      row('after'),
      SOURCE_SCHEMA,
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
    optional: false,
    name: `cdc.inventory.${table}.Envelope`,
    version: 2,
  };
}

export function keySchema(columns: Schema[], table = TABLE.table): Schema {
  return { type: 'struct', fields: columns, optional: false, name: `cdc.inventory.${table}.Key` };
}

export function source(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '3.2.3.Final',
    connector: 'postgresql',
    name: 'cdc',
    ts_ms: 1795407236647,
    snapshot: 'false',
    db: TABLE.database,
    sequence: '["27027152","27027216"]',
    schema: TABLE.schema,
    table: TABLE.table,
    txId: 783,
    lsn: 27027216,
    xmin: null,
    ...overrides,
  };
}

export function envelope(fields: Record<string, unknown>): Record<string, unknown> {
  return { before: null, after: null, source: source(), op: 'c', ts_ms: 1795407236887, ...fields };
}

export function json(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new Error('not serialisable');
  return text;
}

/** {schema, payload} text as JsonConverter writes it, or the bare payload when schema is null. */
export function wrap(schema: Schema | null, payload: unknown): string {
  return schema === null ? json(payload) : `{"schema":${json(schema)},"payload":${json(payload)}}`;
}

export function raw(key: string | null, value: string | null, topic = 'cdc.inventory.things'): RawRecord {
  return {
    topic,
    partition: 3,
    offset: '42',
    key: key === null ? null : Buffer.from(key, 'utf8'),
    value: value === null ? null : Buffer.from(value, 'utf8'),
  };
}

export interface MessageOptions {
  /** Column schemas of the row; null: send both key and value bare. */
  columns?: Schema[] | null;
  keyColumns?: Schema[];
  key?: Record<string, unknown> | null;
  bareKey?: boolean;
  bareValue?: boolean;
}

const ID = required(col('id', 'int32'));

/** A record with an envelope; by default wrapped, keyed by an int32 "id" column. */
export function message(fields: Record<string, unknown>, options: MessageOptions = {}): RawRecord {
  const columns = options.columns === undefined ? [ID] : options.columns;
  const keyColumns = options.keyColumns ?? [ID];
  const key = options.key === undefined ? { id: 1 } : options.key;
  const bareKey = options.bareKey ?? columns === null;
  const bareValue = options.bareValue ?? columns === null;
  const keyText = key === null ? null : wrap(bareKey ? null : keySchema(keyColumns), key);
  const valueText = wrap(bareValue || columns === null ? null : valueSchema(columns), envelope(fields));
  return raw(keyText, valueText);
}

export function decodeOk(record: RawRecord): ChangeEvent {
  const result = decodeRecord(record);
  if (!result.ok) assert.fail(`expected success, got DecodeError: ${result.error.message}`);
  return result.event;
}

export function decodeRow(record: RawRecord): RowChange {
  const event = decodeOk(record);
  assert.equal(event.kind, 'row');
  return event as RowChange;
}

export function decodeError(record: RawRecord): string {
  const result = decodeRecord(record);
  if (result.ok) assert.fail(`expected a DecodeError, got ${result.event.kind}`);
  assert.equal(result.error.name, 'DecodeError');
  assert.equal(result.error.retriable, false);
  return result.error.message;
}

/** Decodes one column value through a full wrapped message (after image of an insert). */
export function decodeColumn(schema: Schema, value: unknown): unknown {
  const row = decodeRow(
    message({ after: { id: 1, [String(schema['field'])]: value } }, { columns: [ID, schema] }),
  );
  return row.after?.[String(schema['field'])];
}

/** The DecodeError message for one column value. */
export function columnError(schema: Schema, value: unknown): string {
  return decodeError(
    message({ after: { id: 1, [String(schema['field'])]: value } }, { columns: [ID, schema] }),
  );
}
