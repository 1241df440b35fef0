// The writer schema cache between the pipeline and the registry: one request per schema id and
// process, bounded, a registry outage passed on as retriable, an unknown id as the reason its
// records fail (not cached: the next batch asks again).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryUnavailableError, UnknownSchemaError } from '../../../src/registry/client.js';
import { WriterSchemaCache } from '../../../src/registry/writer-schemas.js';
import { decodeRecord } from '../../../src/decoder/index.js';
import { FixtureRegistry, avroFixtures, avroRecord } from './avro-fixtures.js';

const ids = Object.keys(avroFixtures.schemas).map(Number);

test('a batch fetches each writer schema once (key and value), later batches none', async () => {
  const registry = new FixtureRegistry();
  const cache = new WriterSchemaCache(registry);
  const records = ['new-1', 'new-2', 'new-3', 'new-4'].map((name, i) => avroRecord(name, i));
  const schemas = await cache.resolve(records);
  assert.deepEqual([...registry.requests].sort(), [...ids].sort());
  for (const record of records) assert.equal(decodeRecord(record, schemas).ok, true);
  await cache.resolve(records);
  assert.equal(registry.requests.length, ids.length);
});

test('JSON records ask the registry nothing', async () => {
  const registry = new FixtureRegistry();
  const json = avroFixtures.cases[0]!.json;
  await new WriterSchemaCache(registry).resolve([
    {
      topic: json.topic,
      partition: 0,
      offset: '0',
      key: Buffer.from(json.key!),
      value: Buffer.from(json.value!),
    },
  ]);
  assert.deepEqual(registry.requests, []);
});

test('the cache is bounded: the least recently used schema goes first', async () => {
  const registry = new FixtureRegistry();
  const cache = new WriterSchemaCache(registry, 1);
  await cache.resolve([avroRecord('new-1', 0)]);
  assert.equal(cache.size, 1);
});

test('an unreachable registry is retriable and caches nothing', async () => {
  const cache = new WriterSchemaCache(
    new FixtureRegistry(() => {
      throw new RegistryUnavailableError('registry unreachable');
    }),
  );
  await assert.rejects(cache.resolve([avroRecord('new-1', 0)]), (error: RegistryUnavailableError) => {
    assert.equal(error.retriable, true);
    return true;
  });
  assert.equal(cache.size, 0);
});

test('an id the registry does not know fails its records (permanent), and is asked again next time', async () => {
  const registry = new FixtureRegistry((id, text) => {
    if (registry.requests.filter((r) => r === id).length === 1)
      throw new UnknownSchemaError(`no schema ${id}`);
    return text!;
  });
  const cache = new WriterSchemaCache(registry);
  const record = avroRecord('new-1', 0);
  const first = decodeRecord(record, await cache.resolve([record]));
  assert.equal(first.ok, false);
  assert.match(!first.ok ? first.error.message : '', /no schema \d+/);
  assert.equal(!first.ok && first.error.retriable, false);
  const second = decodeRecord(record, await cache.resolve([record]));
  assert.equal(second.ok, true);
});
