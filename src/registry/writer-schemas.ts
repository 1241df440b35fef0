// The writer schemas of a batch's Avro records, fetched before the batch is decoded, so that the
// decoder stays pure: it gets a lookup by id. Compiled schemas are cached by id (bounded, least
// recently used evicted): a registry never changes what an id stands for, so one fetch per id
// and process is enough. A refusal (unknown id, unusable schema) is not cached: it holds for this
// batch's records, and a later record with that id asks again.
import { type AvroWriterSchema, compileWriterSchema } from '../decoder/avro/schema.js';
import type { WriterSchemas } from '../decoder/avro/decode.js';
import { isWireFormat, schemaIdOf } from '../decoder/avro/wire.js';
import type { RawRecord } from '../decoder/types.js';
import { type RegistryClient, UnknownSchemaError } from './client.js';

export class WriterSchemaCache {
  /** Least recently used first (a Map iterates in insertion order; a hit re-inserts). */
  private readonly compiled = new Map<number, AvroWriterSchema>();

  constructor(
    private readonly client: Pick<RegistryClient, 'schemaText'>,
    private readonly maxEntries = 1000,
  ) {}

  get size(): number {
    return this.compiled.size;
  }

  /**
   * The writer schemas of the records' Avro keys and values. Throws RegistryUnavailableError
   * (retriable) when the registry cannot answer; an id it does not know maps to the reason.
   */
  async resolve(records: readonly RawRecord[]): Promise<WriterSchemas> {
    const wanted = new Set<number>();
    for (const record of records) {
      // Read once each: a consumed record may make its key and value anew on every read.
      for (const bytes of [record.key, record.value])
        if (bytes && isWireFormat(bytes)) wanted.add(schemaIdOf(bytes));
    }
    const batch = new Map<number, AvroWriterSchema | string>();
    for (const id of wanted) batch.set(id, this.hit(id) ?? (await this.fetch(id)));
    return (id) => batch.get(id);
  }

  private hit(id: number): AvroWriterSchema | undefined {
    const schema = this.compiled.get(id);
    if (schema !== undefined) {
      this.compiled.delete(id);
      this.compiled.set(id, schema);
    }
    return schema;
  }

  private async fetch(id: number): Promise<AvroWriterSchema | string> {
    let text: string;
    try {
      text = await this.client.schemaText(id);
    } catch (error) {
      if (error instanceof UnknownSchemaError) return error.message;
      throw error;
    }
    const schema = compileWriterSchema(text);
    if (typeof schema === 'string') return schema;
    this.compiled.set(id, schema);
    if (this.compiled.size > this.maxEntries) this.compiled.delete(this.compiled.keys().next().value!);
    return schema;
  }
}
