// The typed change event the pure decoder produces from one Kafka record. Every later stage
// (router, coalescing, sinks) works on these types only, never on raw envelopes.

/** An exact decimal kept as its canonical text ("-12.3400"), so nothing is rounded on the way. */
export class Decimal {
  constructor(readonly text: string) {}
}

/**
 * A column value after logical-type decoding. int64 columns are always bigint (never a lossy
 * number); decimals are Decimal until a sink's mapping picks their representation; times are
 * ISO-8601 strings; bytes are base64 strings; JSON columns are nested objects.
 */
export type ColumnValue =
  null | boolean | number | bigint | string | Decimal | ColumnValue[] | { [field: string]: ColumnValue };

export type Row = Record<string, ColumnValue>;

export interface TableRef {
  readonly database: string;
  readonly schema: string;
  readonly table: string;
}

/** The row's primary key, in key-column order, with the document id derived from it. */
export interface DocKey {
  readonly columns: ReadonlyArray<readonly [name: string, value: ColumnValue]>;
  /** One column: its value as a string. Several: a JSON array of their string forms. */
  readonly id: string;
}

export interface SourcePosition {
  /**
   * Postgres LSN of the change; 64-bit, so a bigint. Larger means later for the same row. Null
   * only for a snapshot read that carries none: Debezium's incremental snapshots send no lsn.
   */
  readonly lsn: bigint | null;
  /** Source commit time (`source.ts_ms`), for end-to-end latency. */
  readonly commitTsMs: number;
  readonly txId: string | null;
  readonly snapshot: boolean;
}

export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export type RowOp = 'r' | 'c' | 'u' | 'd';

/** Kafka Connect's schema types, with JsonConverter's "float"/"double" named float32/float64. */
export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

/**
 * What a decoded value of a column is, as far as a consumer (e.g. a sink choosing a mapping)
 * needs to know: the ColumnValue form the decoder produces for it.
 */
export type ValueKind =
  /** int8, int16, int32: a number. */
  | 'integer'
  /** int64: a bigint. */
  | 'int64'
  /** float32, float64: a number (NaN and the infinities included), integer-valued or not. */
  | 'float'
  | 'boolean'
  | 'string'
  /** bytes: base64 text. */
  | 'bytes'
  /** Decimal and VariableScaleDecimal: a Decimal. */
  | 'decimal'
  /** Date, Time, Timestamp, ZonedTimestamp, ...: ISO-8601 text; MicroDuration: its ISO text. */
  | 'temporal'
  /** io.debezium.data.Json: any parsed JSON value. */
  | 'json'
  | 'array'
  | 'map'
  | 'struct'
  /** The schema is unusable: any non-null value fails to decode. */
  | 'unknown';

/** One column's (or struct field's, array item's) type as the message schema declares it. */
export interface ColumnType {
  /** The Connect type; null when the schema names none (unusable). */
  readonly type: ConnectType | null;
  /** The schema `name` (a logical type such as io.debezium.time.MicroTimestamp), or null. */
  readonly logical: string | null;
  readonly optional: boolean;
  readonly value: ValueKind;
  /** value 'array': the item type. */
  readonly items?: ColumnType;
  /** value 'map': the key and value types. */
  readonly keys?: ColumnType;
  readonly values?: ColumnType;
  /** value 'struct': the fields, in schema order. */
  readonly fields?: ColumnTypes;
}

/**
 * The columns of a row image by name, in schema order. Built once per compiled schema and shared
 * by every event of that schema version, so a consumer may cache by its identity: a new object
 * means a new schema (e.g. after ALTER TABLE ADD COLUMN).
 */
export type ColumnTypes = ReadonlyMap<string, ColumnType>;

export interface RowChange {
  readonly kind: 'row';
  readonly op: RowOp;
  readonly table: TableRef;
  readonly key: DocKey;
  readonly before: Row | null;
  /** null for deletes. Columns Debezium could not read (unchanged TOAST) are left out of it... */
  readonly after: Row | null;
  /** ...and named here, so a sink keeps its stored value for them. */
  readonly unchangedColumns: readonly string[];
  /**
   * The declared types of the image's columns (after for r/c/u, before for d), from the message
   * schema; null when the message has none (schemas.enable=false) or for events not made from a
   * message (resync). Shared by all events of one schema version: compare by identity.
   */
  readonly columnTypes: ColumnTypes | null;
  readonly position: SourcePosition;
  readonly record: RecordCoordinates;
}

export interface Truncate {
  readonly kind: 'truncate';
  readonly table: TableRef;
  readonly position: SourcePosition & { readonly lsn: bigint };
  readonly record: RecordCoordinates;
}

/** Log-compaction marker after a delete: it creates and changes nothing. */
export interface Tombstone {
  readonly kind: 'tombstone';
  readonly record: RecordCoordinates;
}

export type ChangeEvent = RowChange | Truncate | Tombstone;

export interface RawRecord extends RecordCoordinates {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}
