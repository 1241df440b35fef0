// Value converters for Kafka Connect's primitive types and the logical types Debezium layers on
// them (by schema `name`). A converter gets a non-null JSON value and returns the ColumnValue, or
// throws a ValueError; it is built once per schema (see connect-schema.ts), so nothing here looks
// at a schema per message.
import { isBase64 } from './base64.js';
import { checkScale, decodeDecimal } from './decimal.js';
import { isJsonObject, parseJson } from './json.js';
import { hasOwn, countOwnKeys } from './own.js';
import {
  MICROS,
  MILLIS,
  NANOS,
  formatDate,
  formatMicroDuration,
  formatTimeOfDay,
  formatTimestamp,
  normaliseZonedTime,
  normaliseZonedTimestamp,
} from './time.js';
import type { ColumnValue, ValueKind } from './types.js';
import { ValueError, expected } from './value-error.js';

/** Converts one non-null JSON value as its schema says; throws ValueError when it does not fit. */
export type Convert = (value: unknown) => ColumnValue;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function intConverter(what: string, min: number, max: number): Convert {
  return (value) => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    throw expected(what, value);
  };
}

const int8 = intConverter('int8', -128, 127);
const int16 = intConverter('int16', -32_768, 32_767);
const int32 = intConverter('int32', -2_147_483_648, 2_147_483_647);

/** An int64 as it came out of the lossless parse: a safe-integer number or a bigint. */
function int64Value(value: unknown, what: string): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
  } else if (typeof value === 'bigint') {
    if (value >= INT64_MIN && value <= INT64_MAX) return value;
  }
  throw expected(what, value);
}

/** int64 is always a bigint, whatever its size, so consumers never meet a lossy number. */
const int64: Convert = (value) => {
  const n = int64Value(value, 'int64');
  return typeof n === 'bigint' ? n : BigInt(n);
};

/** Jackson writes NaN and infinities as strings (QUOTE_NON_NUMERIC_NUMBERS); Postgres has them. */
const float: Convert = (value) => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  throw expected('a floating-point number', value);
};

const boolean: Convert = (value) => {
  if (typeof value === 'boolean') return value;
  throw expected('boolean', value);
};

const string: Convert = (value) => {
  if (typeof value === 'string') return value;
  throw expected('string', value);
};

/** bytes stay Debezium's base64 text (binary.handling.mode=base64), once checked to be base64. */
const bytes: Convert = (value) => {
  if (typeof value === 'string' && isBase64(value)) return value;
  throw expected('bytes (base64 string)', value);
};

/**
 * Converters of the primitive Connect types, by schema `type`. JsonConverter spells FLOAT32 and
 * FLOAT64 "float" and "double"; the Connect names are accepted too.
 */
export const PRIMITIVES: ReadonlyMap<string, Convert> = new Map([
  ['int8', int8],
  ['int16', int16],
  ['int32', int32],
  ['int64', int64],
  ['float', float],
  ['double', float],
  ['float32', float],
  ['float64', float],
  ['boolean', boolean],
  ['string', string],
  ['bytes', bytes],
]);

// ---- logical types ----

const date: Convert = (value) => formatDate(int32(value) as number);

const timeMillis: Convert = (value) => formatTimeOfDay(int32(value) as number, MILLIS);
const timeMicros: Convert = (value) => formatTimeOfDay(int64Value(value, 'int64'), MICROS);
const timeNanos: Convert = (value) => formatTimeOfDay(int64Value(value, 'int64'), NANOS);

const timestampMillis: Convert = (value) => formatTimestamp(int64Value(value, 'int64'), MILLIS);
const timestampMicros: Convert = (value) => formatTimestamp(int64Value(value, 'int64'), MICROS);
const timestampNanos: Convert = (value) => formatTimestamp(int64Value(value, 'int64'), NANOS);

const zonedTimestamp: Convert = (value) => normaliseZonedTimestamp(string(value) as string);
const zonedTime: Convert = (value) => normaliseZonedTime(string(value) as string);

const microDuration: Convert = (value) => formatMicroDuration(int64Value(value, 'int64'));

/** io.debezium.data.Json: the column's JSON text, parsed losslessly (any root; keys are data). */
const json: Convert = (value) => {
  const text = string(value) as string;
  try {
    return parseJson(text) as ColumnValue;
  } catch (error) {
    throw new ValueError(`invalid JSON text: ${error instanceof Error ? error.message : String(error)}`);
  }
};

/** io.debezium.data.VariableScaleDecimal: struct {scale: int32, value: bytes}. */
const variableScaleDecimal: Convert = (value) => {
  if (
    !isJsonObject(value) ||
    !hasOwn(value, 'scale') ||
    !hasOwn(value, 'value') ||
    countOwnKeys(value) !== 2
  ) {
    throw expected('a VariableScaleDecimal struct {scale, value}', value);
  }
  const scale = checkScale(int32(value['scale']));
  return decodeDecimal(value['value'], scale);
};

function decimalConverter(parameters: unknown): Convert | string {
  const text = isJsonObject(parameters) ? parameters['scale'] : undefined;
  if (typeof text !== 'string' || !/^-?[0-9]{1,10}$/.test(text)) {
    return `org.apache.kafka.connect.data.Decimal without an integer "scale" parameter`;
  }
  let scale: number;
  try {
    scale = checkScale(Number(text));
  } catch (error) {
    return (error as Error).message;
  }
  return (value) => decodeDecimal(value, scale);
}

interface Logical {
  readonly type: string;
  readonly kind: ValueKind;
  readonly make: (parameters: unknown) => Convert | string;
}

function fixed(type: string, convert: Convert, kind: ValueKind = 'temporal'): Logical {
  return { type, kind, make: () => convert };
}

/**
 * Logical types by schema `name`, with the base type each requires. Names not listed here
 * (io.debezium.data.Uuid, Enum, EnumSet, Xml, Ltree, Bits, Interval, geometry.*, ...) are
 * converted by their base type: strings stay strings, bytes stay base64, structs stay structs.
 */
const LOGICAL: ReadonlyMap<string, Logical> = new Map([
  ['io.debezium.time.Date', fixed('int32', date)],
  ['org.apache.kafka.connect.data.Date', fixed('int32', date)],
  ['io.debezium.time.Time', fixed('int32', timeMillis)],
  ['org.apache.kafka.connect.data.Time', fixed('int32', timeMillis)],
  ['io.debezium.time.MicroTime', fixed('int64', timeMicros)],
  ['io.debezium.time.NanoTime', fixed('int64', timeNanos)],
  ['io.debezium.time.Timestamp', fixed('int64', timestampMillis)],
  ['org.apache.kafka.connect.data.Timestamp', fixed('int64', timestampMillis)],
  ['io.debezium.time.MicroTimestamp', fixed('int64', timestampMicros)],
  ['io.debezium.time.NanoTimestamp', fixed('int64', timestampNanos)],
  ['io.debezium.time.ZonedTimestamp', fixed('string', zonedTimestamp)],
  ['io.debezium.time.ZonedTime', fixed('string', zonedTime)],
  ['io.debezium.time.MicroDuration', fixed('int64', microDuration)],
  ['io.debezium.data.Json', fixed('string', json, 'json')],
  ['io.debezium.data.VariableScaleDecimal', fixed('struct', variableScaleDecimal, 'decimal')],
  ['org.apache.kafka.connect.data.Decimal', { type: 'bytes', kind: 'decimal', make: decimalConverter }],
]);

/**
 * The converter of a logical type; undefined when the name is not one we convert (use the base
 * type), or a message when the schema is unusable (wrong base type, missing scale).
 */
export function logicalConverter(
  name: string,
  type: string,
  parameters: unknown,
): Convert | string | undefined {
  const logical = LOGICAL.get(name);
  if (logical === undefined) return undefined;
  if (logical.type !== type)
    return `logical type ${name} must have type ${logical.type}, the schema says ${type}`;
  return logical.make(parameters);
}

/** What a logical type's converter produces; undefined when the name is not one we convert. */
export function logicalValueKind(name: string): ValueKind | undefined {
  return LOGICAL.get(name)?.kind;
}
