// The captured Avro messages (test/fixtures/avro/hard_types.json) for the registry and pipeline
// tests: records in the Confluent wire format and the writer schema texts their ids stand for.
import { readFileSync } from 'node:fs';
import type { RawRecord } from '../../../src/decoder/types.js';

export interface AvroFixtureMessage {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
}
interface Fixtures {
  readonly schemas: Record<string, string>;
  readonly cases: {
    readonly name: string;
    readonly json: AvroFixtureMessage;
    readonly avro: AvroFixtureMessage;
  }[];
}

export const avroFixtures = JSON.parse(
  readFileSync(new URL('../../fixtures/avro/hard_types.json', import.meta.url), 'utf8'),
) as Fixtures;

/** The Avro record of fixture case `name`, at `offset`. */
export function avroRecord(name: string, offset: number): RawRecord {
  const found = avroFixtures.cases.find((c) => c.name === name);
  if (!found) throw new Error(`no fixture case ${name}`);
  const bytes = (text: string | null) => (text === null ? null : Buffer.from(text, 'base64'));
  return {
    topic: found.avro.topic,
    partition: 0,
    offset: String(offset),
    key: bytes(found.avro.key),
    value: bytes(found.avro.value),
  };
}

/** A stand-in for the registry client answering from the fixture, counting its requests. */
export class FixtureRegistry {
  readonly requests: number[] = [];
  constructor(private readonly answer: (id: number, text: string | undefined) => string = defaultAnswer) {}
  async schemaText(id: number): Promise<string> {
    this.requests.push(id);
    return this.answer(id, avroFixtures.schemas[String(id)]);
  }
}

function defaultAnswer(id: number, text: string | undefined): string {
  if (text === undefined) throw new Error(`fixture has no schema ${id}`);
  return text;
}
