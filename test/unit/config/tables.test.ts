import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTableOverrides,
  validateCollectionName,
  validateIndexName,
} from '../../../src/config/tables.js';

describe('parseTableOverrides', () => {
  test('accepts every known setting, from JSON text or an object', () => {
    const settings = {
      'public.orders': {
        sinks: ['elasticsearch'],
        elasticsearchIndex: 'orders-v2',
        mongodbCollection: 'Orders',
        includeColumns: ['id', 'total'],
        decimal: 'double',
        truncate: 'delete',
      },
      'inventory.customers': { excludeColumns: ['ssn'] },
    };
    assert.deepEqual(parseTableOverrides(JSON.stringify(settings)), settings);
    assert.deepEqual(parseTableOverrides(settings), settings);
  });

  test('empty or blank text means no overrides', () => {
    assert.deepEqual(parseTableOverrides(''), {});
    assert.deepEqual(parseTableOverrides('  '), {});
    assert.deepEqual(parseTableOverrides('{}'), {});
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '{"public.a":', /must be JSON: /],
    ['an array', '[]', /must be a JSON object keyed by "<schema>.<table>"/],
    ['null', 'null', /must be a JSON object/],
    ['settings not an object', { 'public.a': ['sinks'] }, /table "public.a": settings must be a JSON object/],
    ['key without a dot', { orders: {} }, /key "orders" must be "<schema>.<table>"/],
    ['key with an empty part', { '.orders': {} }, /key ".orders" must be/],
    ['key with three parts', { 'db.public.orders': {} }, /key "db.public.orders" must be/],
    ['unknown setting', { 'public.a': { index: 'x' } }, /table "public.a": unknown setting "index"/],
    [
      'sinks not a list',
      { 'public.a': { sinks: 'mongodb' } },
      /"sinks" must be an array of non-empty strings/,
    ],
    ['bad sink', { 'public.a': { sinks: ['mongo'] } }, /"sinks" must be one of elasticsearch, mongodb/],
    [
      'uppercase index',
      { 'public.a': { elasticsearchIndex: 'Orders' } },
      /"elasticsearchIndex" must be lowercase/,
    ],
    [
      'index not a string',
      { 'public.a': { elasticsearchIndex: 3 } },
      /"elasticsearchIndex" must be a string/,
    ],
    [
      'collection with $',
      { 'public.a': { mongodbCollection: 'a$' } },
      /"mongodbCollection" must not contain \$/,
    ],
    ['system collection', { 'public.a': { mongodbCollection: 'system.x' } }, /must not start with "system."/],
    [
      'empty column name',
      { 'public.a': { includeColumns: [''] } },
      /"includeColumns" must be an array of non-empty/,
    ],
    [
      'column not a string',
      { 'public.a': { excludeColumns: [1] } },
      /"excludeColumns" must be an array of non-empty/,
    ],
    ['both column lists', { 'public.a': { includeColumns: ['a'], excludeColumns: ['b'] } }, /not both/],
    ['bad decimal', { 'public.a': { decimal: 'float' } }, /"decimal" must be one of string, double/],
    ['bad truncate', { 'public.a': { truncate: 'drop' } }, /"truncate" must be one of ignore, delete/],
  ];
  for (const [name, value, expected] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => parseTableOverrides(value), expected);
    });
  }

  test('a "__proto__" key is refused as a table name, not merged into the prototype', () => {
    assert.throws(() => parseTableOverrides('{"__proto__":{"sinks":["mongodb"]}}'), /key "__proto__"/);
    assert.equal(({} as Record<string, unknown>).sinks, undefined);
  });
});

describe('validateIndexName', () => {
  test('accepts Elasticsearch-valid names', () => {
    for (const name of ['orders', 'cdc.public.orders', 'dev-orders_2', 'a+b', 'é'])
      assert.equal(validateIndexName(name), null, name);
  });

  test('refuses what Elasticsearch refuses', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['.', /empty, "." or ".."/],
      ['..', /empty, "." or ".."/],
      ['-a', /must not start with -, _ or \+/],
      ['_a', /must not start/],
      ['+a', /must not start/],
      ['Orders', /lowercase/],
      ['a b', /lowercase without/],
      ['a,b', /lowercase without/],
      ['a#b', /lowercase without/],
      ['a:b', /lowercase without/],
      ['a*', /lowercase without/],
      ['a"b', /lowercase without/],
      ['a/b', /lowercase without/],
      ['a\\b', /lowercase without/],
      ['x'.repeat(256), /at most 255 bytes/],
      ['é'.repeat(128), /at most 255 bytes/],
    ];
    for (const [name, expected] of cases) assert.match(validateIndexName(name) ?? 'accepted', expected, name);
    assert.equal(validateIndexName('x'.repeat(255)), null);
  });
});

describe('validateCollectionName', () => {
  test('accepts ordinary names, case kept', () => {
    for (const name of ['Orders', 'public.orders', 'a-b']) assert.equal(validateCollectionName(name), null);
  });

  test('refuses empty, $, NUL and system.', () => {
    assert.match(validateCollectionName('') ?? '', /must not be empty/);
    assert.match(validateCollectionName('a$b') ?? '', /\$/);
    assert.match(validateCollectionName('a\0b') ?? '', /NUL/);
    assert.match(validateCollectionName('system.users') ?? '', /system\./);
  });
});
