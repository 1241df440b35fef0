// The Avro path against the JSON path on real messages (test/fixtures/avro, captured by
// scripts/capture-avro-fixtures.ts from the stack's two connectors reading the same table): the
// same change decodes to the same event, value for value and type for type. Then what only the
// Avro path can meet: a writer schema it could not fetch or use, a body that does not decode, an
// Avro record with no registry configured.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import avro from 'avsc';
import { compileWriterSchema, type AvroWriterSchema } from '../../../../src/decoder/avro/schema.js';
import { Decimal, decodeRecord, type ChangeEvent, type RawRecord } from '../../../../src/decoder/index.js';
import { avroFixtures, type AvroFixtureMessage } from '../../registry/avro-fixtures.js';

const compiled = new Map<number, AvroWriterSchema | string>(
  Object.entries(avroFixtures.schemas).map(([id, text]) => [Number(id), compileWriterSchema(text)]),
);
const schemas = (id: number): AvroWriterSchema | string | undefined => compiled.get(id);

function raw(message: AvroFixtureMessage, encoding: 'utf8' | 'base64'): RawRecord {
  const bytes = (text: string | null): Buffer | null => (text === null ? null : Buffer.from(text, encoding));
  return {
    topic: message.topic,
    partition: 0,
    offset: '7',
    key: bytes(message.key),
    value: bytes(message.value),
  };
}

function decoded(record: RawRecord, lookup = schemas): ChangeEvent {
  const result = decodeRecord(record, lookup);
  if (!result.ok) assert.fail(result.error.message);
  return result.event;
}

/**
 * The event without its Kafka coordinates (the two connectors write to different topics), and for
 * a snapshot read without its position: each connector took its own snapshot, at its own LSN.
 */
function comparable(event: ChangeEvent): unknown {
  const { record, ...rest } = event;
  assert.ok(record.topic);
  if (rest.kind === 'row' && rest.op === 'r') {
    assert.equal(rest.position.snapshot, true);
    return { ...rest, position: null };
  }
  return rest;
}

const fixtureCase = (name: string) => {
  const found = avroFixtures.cases.find((c) => c.name === name);
  assert.ok(found, `no fixture case ${name}`);
  return found;
};

describe('the Avro path decodes to the JSON path events', () => {
  assert.ok(avroFixtures.cases.length >= 6);
  for (const { name, json, avro: avroMessage } of avroFixtures.cases) {
    test(name, () => {
      const fromJson = decoded(raw(json, 'utf8'));
      const fromAvro = decoded(raw(avroMessage, 'base64'));
      assert.deepEqual(comparable(fromAvro), comparable(fromJson));
    });
  }
});

test('the wire format was detected: the Avro fixtures start with magic byte 0 and are not JSON', () => {
  for (const { avro: message } of avroFixtures.cases) {
    if (message.value === null) continue;
    const bytes = Buffer.from(message.value, 'base64');
    assert.equal(bytes[0], 0);
    assert.ok(compiled.has(bytes.readUInt32BE(1)), 'its writer schema is in the fixture');
  }
});

test('int64 beyond 2^53 is an exact bigint, decimals keep their scale, a NULL with a DEFAULT stays NULL', () => {
  const seed = decoded(raw(fixtureCase('seed-1-1').avro, 'base64'));
  assert.equal(seed.kind, 'row');
  const row = seed.kind === 'row' ? seed.after! : {};
  assert.equal(row['item_id'], 9007199254740993n);
  assert.equal(row['big'], 9223372036854775807n);
  assert.deepEqual(row['exact'], new Decimal('1234567890123456789012345678.0123456789'));
  assert.deepEqual(row['loose'], new Decimal('3.141592653589793238462643383279'));
  const created = decoded(raw(fixtureCase('new-1').avro, 'base64'));
  assert.equal(created.kind === 'row' && created.op, 'c');
  assert.equal(created.kind === 'row' && created.after!['flag'], null);
});

test('a writer schema the registry did not know (or we cannot use) fails the record, naming it', () => {
  const record = raw(fixtureCase('new-1').avro, 'base64');
  const id = record.value!.readUInt32BE(1);
  const result = decodeRecord(record, (wanted) =>
    wanted === id ? `the registry has no schema ${id}` : schemas(wanted),
  );
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.error.message : '', new RegExp(`writer schema ${id} cannot be used`));
  assert.equal(!result.ok && result.error.retriable, false);
});

test('a truncated Avro body fails the record (dead letter), not the process', () => {
  const record = raw(fixtureCase('new-1').avro, 'base64');
  const result = decodeRecord({ ...record, value: record.value!.subarray(0, 40) }, schemas);
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.error.message : '', /does not decode with its writer schema/);
});

test('an Avro record without a configured registry fails, saying REGISTRY_URL', () => {
  const result = decodeRecord(raw(fixtureCase('new-1').avro, 'base64'));
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.error.message : '', /REGISTRY_URL/);
});

test('a float32 comes out as the shortest decimal, as JsonConverter writes a Java float', () => {
  const schema = {
    type: 'record',
    name: 'Value',
    fields: [{ name: 'f', type: ['null', 'float'], default: null }],
    'connect.name': 't.Value',
  };
  const writer = compileWriterSchema(JSON.stringify(schema));
  assert.ok(typeof writer !== 'string', String(writer));
  const body = avro.Type.forSchema(schema as avro.Schema).toBuffer({ f: 0.1 });
  assert.deepEqual(writer.payload(writer.type.fromBuffer(body)), { f: 0.1 });
  assert.deepEqual(writer.connect, {
    type: 'struct',
    name: 't.Value',
    optional: false,
    fields: [{ type: 'float', optional: true, field: 'f' }],
  });
});

test('a union other than [null, T] is refused as unusable, not guessed', () => {
  const writer = compileWriterSchema(
    JSON.stringify({ type: 'record', name: 'V', fields: [{ name: 'u', type: ['int', 'string'] }] }),
  );
  assert.equal(typeof writer, 'string');
  assert.match(String(writer), /union/);
});

test('a long with Connect parameters (a MicroTimestamp of infinity) beyond 2^53 is an exact bigint too', () => {
  // Debezium writes a timestamp of 'infinity' as 9223372036825200000 µs, and the schema of a
  // MicroTimestamp is the object form {type: long, connect.name: ...}, not the bare "long".
  const microTimestamp = {
    type: 'long',
    'connect.version': 1,
    'connect.name': 'io.debezium.time.MicroTimestamp',
  };
  const schema = {
    type: 'record',
    name: 'Value',
    fields: [
      { name: 'ts', type: ['null', microTimestamp], default: null },
      { name: 'at', type: microTimestamp },
    ],
    'connect.name': 't.Value',
  };
  const writer = compileWriterSchema(JSON.stringify(schema));
  assert.ok(typeof writer !== 'string', String(writer));
  // avsc's stock long refuses to encode beyond 2^53: the zig-zag varint is written by hand.
  const varint = (n: bigint): Buffer => {
    let z = (n << 1n) ^ (n >> 63n);
    z = BigInt.asUintN(64, z);
    const bytes: number[] = [];
    do {
      let byte = Number(z & 0x7fn);
      z >>= 7n;
      if (z > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (z > 0n);
    return Buffer.from(bytes);
  };
  const infinity = 9223372036825200000n;
  // Union branch 1 (the long), then the two longs.
  const encoded = Buffer.concat([Buffer.from([2]), varint(infinity), varint(-infinity)]);
  assert.deepEqual(writer.payload(writer.type.fromBuffer(encoded)), { ts: infinity, at: -infinity });
});
