// Compiles a Kafka Connect JSON schema ({type, optional, field, name, parameters, items, keys,
// values, fields}) into converter closures once, so each message only runs the closures. A field
// whose schema is unusable compiles to a converter that always fails, naming the problem: the
// error then surfaces with the field and table of the message that hits it.
import { isJsonObject } from './json.js';
import { type Convert, PRIMITIVES, logicalConverter, logicalValueKind } from './logical-types.js';
import { countOwnKeys, hasOwn, setOwn } from './own.js';
import {
  isArrayPlaceholder,
  isBytesPlaceholder,
  isMapPlaceholder,
  isStringOrBase64Placeholder,
} from './toast.js';
import type { ColumnType, ColumnTypes, ColumnValue, ConnectType, ValueKind } from './types.js';
import { ValueError, asValueError, expected } from './value-error.js';

export interface CompiledField {
  readonly name: string;
  readonly optional: boolean;
  readonly convert: Convert;
  /** Whether a raw value is Debezium's unchanged-TOAST placeholder for this field's type. */
  readonly isPlaceholder: ((value: unknown) => boolean) | null;
}

export interface CompiledStruct {
  readonly fields: readonly CompiledField[];
  /** The fields' declared types by name: built once with the struct, shared by its events. */
  readonly columns: ColumnTypes;
}

interface Compiled {
  readonly optional: boolean;
  readonly convert: Convert;
  readonly type: string;
  readonly describe: ColumnType;
}

/** Connect type names as JsonConverter writes them (and Connect's own) to ConnectType. */
const CONNECT_TYPES: ReadonlyMap<string, ConnectType> = new Map<string, ConnectType>([
  ['int8', 'int8'],
  ['int16', 'int16'],
  ['int32', 'int32'],
  ['int64', 'int64'],
  ['float', 'float32'],
  ['float32', 'float32'],
  ['double', 'float64'],
  ['float64', 'float64'],
  ['boolean', 'boolean'],
  ['string', 'string'],
  ['bytes', 'bytes'],
  ['array', 'array'],
  ['map', 'map'],
  ['struct', 'struct'],
]);

const BASE_KINDS: Readonly<Record<ConnectType, ValueKind>> = {
  int8: 'integer',
  int16: 'integer',
  int32: 'integer',
  int64: 'int64',
  float32: 'float',
  float64: 'float',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
  array: 'array',
  map: 'map',
  struct: 'struct',
};

interface Parts {
  readonly items?: ColumnType;
  readonly keys?: ColumnType;
  readonly values?: ColumnType;
  readonly fields?: ColumnTypes;
}

/**
 * The declared type of a schema node. `usable` false: its converter always fails, so whatever the
 * schema claims, no value of it is ever produced.
 */
function describe(
  type: string | null,
  name: unknown,
  optional: boolean,
  usable: boolean,
  parts?: Parts,
): ColumnType {
  const connect = type === null ? null : (CONNECT_TYPES.get(type) ?? null);
  const logical = typeof name === 'string' ? name : null;
  let value: ValueKind = 'unknown';
  if (usable && connect !== null)
    value = (logical === null ? undefined : logicalValueKind(logical)) ?? BASE_KINDS[connect];
  return { type: connect, logical, optional, value, ...(value === 'unknown' ? {} : parts) };
}

function failing(message: string): Convert {
  return () => {
    throw new ValueError(`unusable schema: ${message}`);
  };
}

function placeholderTest(type: string): ((value: unknown) => boolean) | null {
  switch (type) {
    case 'string':
      // binary.handling.mode=base64 makes bytea a string schema: its placeholder is the base64 form
      return isStringOrBase64Placeholder;
    case 'bytes':
      return isBytesPlaceholder;
    case 'array':
      return isArrayPlaceholder;
    case 'map':
      return isMapPlaceholder;
    default:
      return null;
  }
}

function compile(schema: unknown, depth: number): Compiled {
  if (!isJsonObject(schema)) {
    return {
      optional: true,
      type: '?',
      convert: failing('a schema must be an object'),
      describe: describe(null, null, true, false),
    };
  }
  const optional = schema['optional'] === true;
  const type = schema['type'];
  const name = schema['name'];
  if (typeof type !== 'string') {
    return {
      optional,
      type: '?',
      convert: failing('a schema has no "type"'),
      describe: describe(null, name, optional, false),
    };
  }
  const fails = (message: string): Compiled => ({
    optional,
    type,
    convert: failing(message),
    describe: describe(type, name, optional, false),
  });
  if (depth > 64) return fails('schema nesting is too deep');
  if (typeof name === 'string') {
    const logical = logicalConverter(name, type, schema['parameters']);
    if (typeof logical === 'string') return fails(logical);
    if (logical !== undefined)
      return { optional, type, convert: logical, describe: describe(type, name, optional, true) };
  }
  const primitive = PRIMITIVES.get(type);
  if (primitive !== undefined)
    return { optional, type, convert: primitive, describe: describe(type, name, optional, true) };
  switch (type) {
    case 'struct': {
      const struct = compileStructAt(schema, depth);
      if (typeof struct === 'string') return fails(struct);
      return {
        optional,
        type,
        convert: structConverter(struct),
        describe: describe(type, name, optional, true, { fields: struct.columns }),
      };
    }
    case 'array': {
      const items = compile(schema['items'], depth + 1);
      return {
        optional,
        type,
        convert: arrayConverter(items),
        describe: describe(type, name, optional, true, { items: items.describe }),
      };
    }
    case 'map': {
      const keys = compile(schema['keys'], depth + 1);
      const values = compile(schema['values'], depth + 1);
      return {
        optional,
        type,
        convert: mapConverter(keys, values),
        describe: describe(type, name, optional, true, { keys: keys.describe, values: values.describe }),
      };
    }
    default:
      return fails(`unknown type ${JSON.stringify(type)}`);
  }
}

function compileStructAt(schema: unknown, depth: number): CompiledStruct | string {
  if (!isJsonObject(schema)) return 'a struct schema must be an object';
  if (schema['type'] !== 'struct')
    return `expected a struct schema, got type ${JSON.stringify(schema['type'])}`;
  const fields = schema['fields'];
  if (!Array.isArray(fields)) return 'a struct schema has no "fields" array';
  const compiled: CompiledField[] = [];
  const columns = new Map<string, ColumnType>();
  for (const field of fields) {
    const name = isJsonObject(field) ? field['field'] : undefined;
    if (typeof name !== 'string') return 'a struct field has no "field" name';
    if (columns.has(name)) return `struct field ${JSON.stringify(name)} is declared twice`;
    const node = compile(field, depth + 1);
    compiled.push({
      name,
      optional: node.optional,
      convert: node.convert,
      isPlaceholder: placeholderTest(node.type),
    });
    columns.set(name, node.describe);
  }
  return { fields: compiled, columns };
}

/** Compiles a struct schema (a row, a key, the envelope); a message when it is not one. */
export function compileStruct(schema: unknown): CompiledStruct | string {
  return compileStructAt(schema, 0);
}

export function nullNotAllowed(): ValueError {
  return new ValueError('null in a non-optional field');
}

/**
 * Converts a struct's fields in place (the object is ours, fresh from the parser) and checks it
 * has no field the schema does not declare. A missing optional field becomes null, as Kafka's
 * JsonConverter reads it.
 */
export function convertStructInPlace(value: Record<string, unknown>, struct: CompiledStruct): void {
  const fields = struct.fields;
  let present = 0;
  let i = 0;
  try {
    for (; i < fields.length; i++) {
      const field = fields[i]!;
      if (hasOwn(value, field.name)) {
        present++;
        const raw = value[field.name];
        if (raw === null) {
          if (!field.optional) throw nullNotAllowed();
          continue;
        }
        const converted = field.convert(raw);
        if (converted !== raw) setOwn(value, field.name, converted);
      } else {
        if (!field.optional) throw new ValueError('missing (the field is not optional)');
        setOwn(value, field.name, null);
        present++;
      }
    }
  } catch (error) {
    throw asValueError(error).within(fields[i]!.name);
  }
  if (present !== countOwnKeys(value)) throw undeclaredField(value, struct);
}

export function undeclaredField(value: Record<string, unknown>, struct: CompiledStruct): ValueError {
  const declared = new Set(struct.fields.map((f) => f.name));
  for (const key in value) {
    if (hasOwn(value, key) && !declared.has(key))
      return new ValueError('field is not in the schema').within(key);
  }
  return new ValueError('fields do not match the schema');
}

function structConverter(struct: CompiledStruct): Convert {
  return (value) => {
    if (!isJsonObject(value)) throw expected('struct (object)', value);
    convertStructInPlace(value, struct);
    return value as ColumnValue;
  };
}

function arrayConverter(items: Compiled): Convert {
  const { convert, optional } = items;
  return (value) => {
    if (!Array.isArray(value)) throw expected('array', value);
    const array = value as unknown[];
    let i = 0;
    try {
      for (; i < array.length; i++) {
        const item = array[i];
        if (item === null) {
          if (!optional) throw nullNotAllowed();
          continue;
        }
        const converted = convert(item);
        if (converted !== item) array[i] = converted;
      }
    } catch (error) {
      throw asValueError(error).within(`[${i}]`);
    }
    return array as ColumnValue;
  };
}

/**
 * Connect maps: JSON objects when the keys are strings (hstore in map mode), else arrays of
 * [key, value] pairs (how JsonConverter writes other key types), converted in place.
 */
function mapConverter(keys: Compiled, values: Compiled): Convert {
  const convertValue = (raw: unknown): ColumnValue => {
    if (raw === null) {
      if (!values.optional) throw nullNotAllowed();
      return null;
    }
    return values.convert(raw);
  };
  if (keys.type === 'string') {
    return (value) => {
      if (!isJsonObject(value)) throw expected('map (object)', value);
      for (const key in value) {
        if (!hasOwn(value, key)) continue;
        const raw = value[key];
        let converted: ColumnValue;
        try {
          converted = convertValue(raw);
        } catch (error) {
          throw asValueError(error).within(key);
        }
        if (converted !== raw) setOwn(value, key, converted);
      }
      return value as ColumnValue;
    };
  }
  return (value) => {
    if (!Array.isArray(value)) throw expected('map (array of [key, value] pairs)', value);
    const pairs = value as unknown[];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      try {
        if (!Array.isArray(pair) || pair.length !== 2) throw expected('a [key, value] pair', pair);
        const entry = pair as unknown[];
        if (entry[0] === null) {
          if (!keys.optional) throw nullNotAllowed();
        } else {
          entry[0] = keys.convert(entry[0]);
        }
        entry[1] = convertValue(entry[1]);
      } catch (error) {
        throw asValueError(error).within(`[${i}]`);
      }
    }
    return pairs as ColumnValue;
  };
}
