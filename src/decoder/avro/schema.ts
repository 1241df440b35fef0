// A writer schema from the registry, compiled once per schema id: avsc's decoder for the body, and
// the Connect schema and payload the same record would have had through Kafka's JsonConverter.
// The Avro converter keeps the Connect schema in the Avro one (connect.name, connect.parameters,
// connect.type on each node, optional fields as unions with null), so the translation is exact and
// everything after it, the JSON path's compiled schemas and converters, is shared.
//
// avsc drops custom attributes on primitives, so the Connect side is read from the raw schema
// JSON, and named types are resolved here by their full names.
import avro from 'avsc';
import { type JsonObject, type JsonValue, isJsonObject } from '../json.js';
import { losslessLong } from './long.js';

/** One schema node: its Connect schema (without `optional`/`field`) and the payload translator. */
interface Node {
  readonly connect: JsonObject;
  readonly optional: boolean;
  /** avsc's decoded value (never null here) to what JsonConverter would have put in the payload. */
  readonly payload: (value: unknown) => JsonValue;
}

export interface AvroWriterSchema {
  readonly type: avro.Type;
  /** The Connect schema of the record, as JsonConverter writes it ({type, optional, name, ...}). */
  readonly connect: JsonObject;
  /** avsc's decoded record to the JsonConverter payload. */
  readonly payload: (value: unknown) => JsonValue;
}

const PRIMITIVE_TYPES: ReadonlyMap<string, string> = new Map([
  ['boolean', 'boolean'],
  ['int', 'int32'],
  ['long', 'int64'],
  ['float', 'float'],
  ['double', 'double'],
  ['bytes', 'bytes'],
  ['string', 'string'],
]);

/** Apicurio's connect.type hint: int8/int16 travel as Avro int. */
const INT_HINTS: ReadonlySet<string> = new Set(['int8', 'int16']);

class UnusableSchema extends Error {}

const identity = (value: unknown): JsonValue => value as JsonValue;

/**
 * Jackson writes a Java float with Float.toString, the shortest decimal that reads back as that
 * float; avsc gives the float widened to a double (0.1f -> 0.10000000149011612).
 */
function float32(value: unknown): JsonValue {
  const n = value as number;
  if (!Number.isFinite(n)) return n;
  for (let digits = 1; digits <= 9; digits++) {
    const shortest = Number(n.toPrecision(digits));
    if (Math.fround(shortest) === n) return shortest;
  }
  return n;
}

const base64 = (value: unknown): JsonValue => (value as Buffer).toString('base64');

function withConnectAttributes(connect: JsonObject, schema: JsonObject): JsonObject {
  const name = schema['connect.name'];
  if (typeof name === 'string') connect['name'] = name;
  const version = schema['connect.version'];
  if (typeof version === 'number') connect['version'] = version;
  const parameters = schema['connect.parameters'];
  if (isJsonObject(parameters)) connect['parameters'] = parameters;
  const doc = schema['connect.doc'];
  if (typeof doc === 'string') connect['doc'] = doc;
  return connect;
}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

class Translator {
  private readonly named = new Map<string, Node>();

  node(schema: unknown, namespace: string | undefined, depth: number): Node {
    if (depth > 64) throw new UnusableSchema('schema nesting is too deep');
    if (typeof schema === 'string') return this.reference(schema, namespace);
    if (Array.isArray(schema)) return this.union(schema, namespace, depth);
    if (!isJsonObject(schema)) throw new UnusableSchema(`not an Avro schema: ${JSON.stringify(schema)}`);
    const type = schema['type'];
    if (typeof type !== 'string' && !Array.isArray(type) && !isJsonObject(type))
      throw new UnusableSchema('an Avro schema without a "type"');
    if (typeof type !== 'string') return this.node(type, namespace, depth + 1);
    const primitive = PRIMITIVE_TYPES.get(type);
    if (primitive !== undefined) {
      const hint = schema['connect.type'];
      const connectType =
        type === 'int' && typeof hint === 'string' && INT_HINTS.has(hint) ? hint : primitive;
      return {
        connect: withConnectAttributes({ type: connectType }, schema),
        optional: false,
        payload: type === 'bytes' ? base64 : type === 'float' ? float32 : identity,
      };
    }
    switch (type) {
      case 'record':
        return this.record(schema, namespace, depth);
      case 'array': {
        const items = this.node(schema['items'], namespace, depth + 1);
        return {
          connect: withConnectAttributes({ type: 'array', items: connectOf(items) }, schema),
          optional: false,
          payload: (value) =>
            (value as unknown[]).map((item) => (item === null ? null : items.payload(item))),
        };
      }
      case 'map': {
        const values = this.node(schema['values'], namespace, depth + 1);
        return {
          connect: withConnectAttributes(
            { type: 'map', keys: { type: 'string', optional: false }, values: connectOf(values) },
            schema,
          ),
          optional: false,
          payload: (value) => {
            const out: JsonObject = {};
            for (const [key, item] of Object.entries(value as Record<string, unknown>))
              out[key] = item === null ? null : values.payload(item);
            return out;
          },
        };
      }
      case 'enum': {
        const node: Node = {
          connect: withConnectAttributes({ type: 'string' }, schema),
          optional: false,
          payload: identity,
        };
        this.define(schema, namespace, node);
        return node;
      }
      case 'fixed': {
        const node: Node = {
          connect: withConnectAttributes({ type: 'bytes' }, schema),
          optional: false,
          payload: base64,
        };
        this.define(schema, namespace, node);
        return node;
      }
      default:
        throw new UnusableSchema(`Avro type ${JSON.stringify(type)} has no Connect counterpart`);
    }
  }

  private define(schema: JsonObject, namespace: string | undefined, node: Node): string | undefined {
    const name = schema['name'];
    if (typeof name !== 'string') throw new UnusableSchema('a named Avro type without a "name"');
    const ownNamespace = typeof schema['namespace'] === 'string' ? schema['namespace'] : namespace;
    const full = fullName(name, ownNamespace);
    this.named.set(full, node);
    return full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
  }

  private reference(name: string, namespace: string | undefined): Node {
    if (PRIMITIVE_TYPES.has(name)) return this.node({ type: name }, namespace, 0);
    const node = this.named.get(fullName(name, namespace)) ?? this.named.get(name);
    if (node === undefined) throw new UnusableSchema(`unknown Avro type ${JSON.stringify(name)}`);
    return node;
  }

  /** Connect's optional: a union of null and one type. Any other union has no Connect counterpart. */
  private union(branches: readonly unknown[], namespace: string | undefined, depth: number): Node {
    const others = branches.filter((branch) => branch !== 'null');
    if (others.length !== 1 || branches.length !== 2) {
      throw new UnusableSchema(
        `an Avro union other than [null, T] (${JSON.stringify(branches).slice(0, 80)})`,
      );
    }
    const inner = this.node(others[0], namespace, depth + 1);
    return { ...inner, optional: true };
  }

  private record(schema: JsonObject, namespace: string | undefined, depth: number): Node {
    const fields = schema['fields'];
    if (!Array.isArray(fields)) throw new UnusableSchema('an Avro record without "fields"');
    const connectFields: JsonObject[] = [];
    const translators: [string, Node][] = [];
    const connect = withConnectAttributes({ type: 'struct', fields: connectFields }, schema);
    const node: Node = {
      connect,
      optional: false,
      payload: (value) => {
        const record = value as Record<string, unknown>;
        const out: JsonObject = {};
        for (const [name, field] of translators) {
          const item = record[name];
          out[name] = item === null || item === undefined ? null : field.payload(item);
        }
        return out;
      },
    };
    // Defined before its fields: a field may refer to the record by name (recursion).
    const inner = this.define(schema, namespace, node);
    for (const field of fields) {
      if (!isJsonObject(field) || typeof field['name'] !== 'string')
        throw new UnusableSchema('an Avro record field without a "name"');
      const translated = this.node(field['type'], inner, depth + 1);
      translators.push([field['name'], translated]);
      connectFields.push({ ...connectOf(translated), field: field['name'] });
    }
    return node;
  }
}

function connectOf(node: Node): JsonObject {
  return { ...node.connect, optional: node.optional };
}

function isObjectLong(node: avro.Schema): boolean {
  return typeof node === 'object' && !Array.isArray(node) && (node as { type?: unknown }).type === 'long';
}

/**
 * Compiles a writer schema's text (the registry's `schema` string); a message when it cannot be
 * used (not JSON, not Avro avsc accepts, or no Connect counterpart), so its records dead-letter.
 */
export function compileWriterSchema(text: string): AvroWriterSchema | string {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    return `the writer schema is not JSON: ${(error as Error).message}`;
  }
  let type: avro.Type;
  try {
    // wrapUnions false: a [null, T] union decodes to the bare value, as Connect's optional is.
    type = avro.Type.forSchema(schema as avro.Schema, {
      registry: { long: losslessLong },
      // The registry serves only the bare "long"; Connect's parameters make the object form
      // ({type: long, connect.name: io.debezium.time.MicroTimestamp}), which avsc would otherwise
      // build with its own long, refusing e.g. the µs of a timestamp 'infinity'.
      typeHook: (node) => (isObjectLong(node) ? losslessLong : undefined),
      wrapUnions: false,
    });
  } catch (error) {
    return `avsc refuses the writer schema: ${(error as Error).message}`;
  }
  try {
    const root = new Translator().node(schema, undefined, 0);
    return { type, connect: connectOf(root), payload: root.payload };
  } catch (error) {
    if (error instanceof UnusableSchema) return error.message;
    throw error;
  }
}
