import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaCache } from '../../../src/decoder/schema-cache.js';
import { clearValueSchemaCache, valueSchemaCacheSize } from '../../../src/decoder/decode.js';
import { clearKeySchemaCache, keySchemaCacheSize } from '../../../src/decoder/key.js';
import { col, decodeRow, envelope, keySchema, raw, required, valueSchema, wrap } from './helpers.js';

describe('SchemaCache', () => {
  test('compiles once per text', () => {
    const cache = new SchemaCache<number>(10);
    let compiles = 0;
    const compile = () => ++compiles;
    assert.equal(cache.get('a', compile), 1);
    assert.equal(cache.get('a', compile), 1);
    assert.equal(cache.get('b', compile), 2);
    assert.equal(compiles, 2);
  });

  test('is bounded, evicting the oldest entry', () => {
    const cache = new SchemaCache<string>(3);
    for (const key of ['a', 'b', 'c', 'd']) cache.get(key, () => key.toUpperCase());
    assert.equal(cache.size, 3);
    let recompiled = false;
    cache.get('a', () => {
      recompiled = true;
      return 'A';
    });
    assert.ok(recompiled, 'the oldest entry was evicted');
  });

  test('evicts the least recently used entry: a schema in use stays', () => {
    const cache = new SchemaCache<string>(3);
    for (const key of ['a', 'b', 'c']) cache.get(key, () => key);
    cache.get('a', () => assert.fail('a is cached'));
    cache.get('d', () => 'd');
    cache.get('a', () => assert.fail('a was used last-but-one and stays'));
    let recompiled = false;
    cache.get('b', () => {
      recompiled = true;
      return 'b';
    });
    assert.ok(recompiled, 'b, the least recently used, was evicted');
  });

  test('hits on the newest entry keep the order of the others', () => {
    const cache = new SchemaCache<string>(3);
    for (const key of ['a', 'b', 'c']) cache.get(key, () => key);
    for (const key of ['c', 'c', 'a', 'a', 'c']) cache.get(key, () => assert.fail(`${key} is cached`));
    cache.get('d', () => 'd');
    for (const key of ['a', 'c', 'd'])
      cache.get(key, () => assert.fail(`${key} stays: b was the least recent`));
    assert.equal(cache.size, 3);
  });

  test('finds a schema by a range of bytes, compared in place', () => {
    const cache = new SchemaCache<number>(10);
    const schema = '{"doc":"prénom"}';
    cache.get(schema, () => 1);
    const message = Buffer.from(`xx${schema}yy`, 'utf8');
    const end = 2 + Buffer.byteLength(schema);
    assert.equal(cache.peek(message, 2, end), 1);
    assert.equal(cache.peek(message, 1, end - 1), undefined, 'same length, other bytes');
    assert.equal(cache.peek(message, 2, end + 1), undefined);
  });

  test('does not pin schemas longer than its key limit (in bytes)', () => {
    const cache = new SchemaCache<number>(10, 5);
    cache.get('1234é', () => 1); // five characters, six bytes
    assert.equal(cache.size, 0);
  });

  test('does not pin schemas longer than its key limit', () => {
    const cache = new SchemaCache<number>(10, 5);
    cache.get('123456', () => 1);
    assert.equal(cache.size, 0);
  });
});

describe('the decoder compiles each schema once', () => {
  test('many messages of a few tables: one cache entry per distinct schema text', () => {
    clearValueSchemaCache();
    clearKeySchemaCache();
    const id = required(col('id', 'int32'));
    for (let i = 0; i < 200; i++) {
      const table = `t${i % 3}`;
      const columns = [id, col('n', 'int64')];
      const env = envelope({ after: { id: i, n: i } });
      const row = decodeRow(
        raw(wrap(keySchema([id], table), { id: i }), wrap(valueSchema(columns, table), env)),
      );
      assert.equal(row.after?.['n'], BigInt(i));
    }
    assert.equal(valueSchemaCacheSize(), 3);
    assert.equal(keySchemaCacheSize(), 3);
  });
});
