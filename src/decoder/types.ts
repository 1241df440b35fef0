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
  /** Postgres LSN of the change; 64-bit, so a bigint. Larger means later for the same row. */
  readonly lsn: bigint;
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
  readonly position: SourcePosition;
  readonly record: RecordCoordinates;
}

export interface Truncate {
  readonly kind: 'truncate';
  readonly table: TableRef;
  readonly position: SourcePosition;
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
