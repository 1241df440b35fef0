import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '@elastic/elasticsearch';
import { LosslessSerializer } from '../../../../src/sinks/elasticsearch/serializer.js';

describe('LosslessSerializer', () => {
  const serializer = new LosslessSerializer();

  test('a response with 9223372036854775807 deserialises exactly', () => {
    const response = serializer.deserialize<{
      _version: bigint;
      _source: { big: bigint; small: number; ratio: number; neg: bigint };
    }>(
      '{"_id":"1","_version":9223372036854775807,"_source":{"big":9007199254740993,"small":42,"ratio":1.5,"neg":-9223372036854775808}}',
    );
    assert.equal(response._version, 9223372036854775807n);
    assert.equal(response._source.big, 9007199254740993n);
    assert.equal(response._source.neg, -9223372036854775808n);
    // Safe integers and fractions stay plain numbers.
    assert.equal(response._source.small, 42);
    assert.equal(response._source.ratio, 1.5);
  });

  test('bigints serialise as exact integer literals', () => {
    assert.equal(
      serializer.serialize({ query: { term: { lsn: 9223372036854775807n } }, size: 1 }),
      '{"query":{"term":{"lsn":9223372036854775807}},"size":1}',
    );
  });

  test('ndserialize (bulk bodies) keeps bigints exact too', () => {
    assert.equal(
      serializer.ndserialize([{ index: { _id: '1', version: 2n ** 63n - 1n } }, { n: 2n ** 64n }]),
      '{"index":{"_id":"1","version":9223372036854775807}}\n{"n":18446744073709551616}\n',
    );
  });

  test('round trip of a document with big integers', () => {
    const document = { id: '1', values: [2n ** 70n, -5, 0.25, 'x'], nested: { n: 12345678901234567890n } };
    assert.deepEqual(serializer.deserialize(serializer.serialize(document)), document);
  });

  test("invalid JSON raises the client's DeserializationError", () => {
    assert.throws(() => serializer.deserialize('{"a":'), errors.DeserializationError);
  });

  test("an unserialisable value raises the client's SerializationError", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => serializer.serialize(cyclic), errors.SerializationError);
  });
});
