// An Avro key or value (Confluent wire format) to the JSON path's {payload, schema}: the payload
// JsonConverter would have written and the compiled form of the Connect schema it would have
// carried. Pure: the writer schemas were fetched before (src/registry) and come in a lookup.
import { DecodeError } from '../../errors.js';
import type { JsonValue } from '../json.js';
import type { AvroWriterSchema } from './schema.js';
import { bodyOf, schemaIdOf } from './wire.js';

/**
 * The writer schemas fetched for a batch, by id: compiled, or why the schema cannot be used
 * (unknown to the registry, not Avro we can read).
 */
export type WriterSchemas = (id: number) => AvroWriterSchema | string | undefined;

export interface AvroDecoded<S> {
  readonly payload: JsonValue;
  readonly schema: S;
}

/**
 * Decodes wire-format bytes (`what`: "key" or "value") with their writer schema, and compiles that
 * schema's Connect form once per schema (cached on the compiled writer schema's identity).
 */
export function decodeAvro<S>(
  bytes: Buffer,
  what: string,
  schemas: WriterSchemas | undefined,
  compiled: WeakMap<AvroWriterSchema, S>,
  compile: (connect: AvroWriterSchema['connect']) => S,
): AvroDecoded<S> {
  const id = schemaIdOf(bytes);
  if (schemas === undefined) {
    throw new DecodeError(
      `The message ${what} is Avro (Confluent wire format, schema id ${id}) and no schema registry is configured (REGISTRY_URL)`,
    );
  }
  const writer = schemas(id);
  if (writer === undefined) {
    throw new DecodeError(
      `Internal decoder error: writer schema ${id} of the message ${what} was not fetched`,
    );
  }
  if (typeof writer === 'string') {
    throw new DecodeError(`The message ${what}'s writer schema ${id} cannot be used: ${writer}`);
  }
  let schema = compiled.get(writer);
  if (schema === undefined) {
    schema = compile(writer.connect);
    compiled.set(writer, schema);
  }
  let value: unknown;
  try {
    value = writer.type.fromBuffer(bodyOf(bytes));
  } catch (error) {
    throw new DecodeError(
      `The message ${what} does not decode with its writer schema ${id}: ${(error as Error).message}`,
      error,
    );
  }
  return { payload: value === null ? null : writer.payload(value), schema };
}
