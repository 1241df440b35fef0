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

describe('parseTableOverrides: targets and renames', () => {
  test('accepts targets with their own columns and renames, and a table-level rename', () => {
    const settings = {
      'public.customers': {
        targets: [
          {
            sink: 'elasticsearch',
            index: 'customers_search',
            includeColumns: ['id', 'first_name'],
            rename: { first_name: 'firstName' },
          },
          { sink: 'elasticsearch', index: 'customers_all' },
          { sink: 'mongodb', collection: 'customers', excludeColumns: ['email'] },
        ],
        decimal: 'double',
      },
      'public.orders': { excludeColumns: ['note'], rename: { order_date: 'orderedAt' } },
    };
    assert.deepEqual(parseTableOverrides(JSON.stringify(settings)), settings);
  });

  test("a field one sink owns may be another's column name: only the table's sinks are checked", () => {
    const settings = { 'public.a': { sinks: ['elasticsearch'], rename: { a: '_cdc_lsn' } } };
    assert.deepEqual(parseTableOverrides(settings), settings);
  });

  const refused: Array<[string, unknown, RegExp]> = [
    [
      'targets beside a shorthand key',
      { 'public.a': { targets: [{ sink: 'mongodb' }], includeColumns: ['id'] } },
      /table "public.a": "targets" replaces sinks, elasticsearchIndex, mongodbCollection, includeColumns, excludeColumns and rename: give "targets" or those, not both \(found "includeColumns"\)/,
    ],
    [
      'targets not a list',
      { 'public.a': { targets: {} } },
      /table "public.a": "targets" must be a non-empty array/,
    ],
    ['no targets', { 'public.a': { targets: [] } }, /"targets" must be a non-empty array/],
    [
      'target without a sink',
      { 'public.a': { targets: [{ index: 'x' }] } },
      /table "public.a": targets\[0\]: "sink" must be one of elasticsearch, mongodb/,
    ],
    [
      'index on a mongodb target',
      { 'public.a': { targets: [{ sink: 'mongodb', index: 'x' }] } },
      /table "public.a": targets\[0\]: "index" is for elasticsearch targets; a mongodb target names its "collection"/,
    ],
    [
      'collection on an elasticsearch target',
      { 'public.a': { targets: [{ sink: 'elasticsearch', collection: 'x' }] } },
      /targets\[0\]: "collection" is for mongodb targets; an elasticsearch target names its "index"/,
    ],
    [
      'bad index name in a target',
      { 'public.a': { targets: [{ sink: 'elasticsearch', index: 'Bad' }] } },
      /table "public.a": targets\[0\]: "index" must be lowercase/,
    ],
    [
      'unknown target setting',
      { 'public.a': { targets: [{ sink: 'mongodb', decimal: 'double' }] } },
      /table "public.a": targets\[0\]: unknown setting "decimal" \(known: sink, index, collection, includeColumns, excludeColumns, rename\)/,
    ],
    [
      'two targets with the same sink and name',
      {
        'public.a': {
          targets: [
            { sink: 'elasticsearch', index: 'a' },
            { sink: 'elasticsearch', index: 'a', includeColumns: ['id'] },
          ],
        },
      },
      /table "public.a": targets\[0\] and targets\[1\] both write elasticsearch index "a"/,
    ],
    [
      'rename not an object',
      { 'public.a': { rename: ['a'] } },
      /table "public.a": "rename" must be an object of column -> field name strings/,
    ],
    [
      'two columns renamed onto one name',
      { 'public.a': { rename: { a: 'x', b: 'x' } } },
      /table "public.a": "rename" gives columns "a" and "b" the same name "x"/,
    ],
    [
      'rename of an excluded column',
      { 'public.a': { excludeColumns: ['a'], rename: { a: 'x' } } },
      /table "public.a": "rename" renames column "a", which "excludeColumns" leaves out/,
    ],
    [
      'rename of a column not included',
      { 'public.a': { targets: [{ sink: 'mongodb', includeColumns: ['id'], rename: { a: 'x' } }] } },
      /table "public.a": targets\[0\]: "rename" renames column "a", which "includeColumns" leaves out/,
    ],
    [
      'rename onto the MongoDB position field',
      { 'public.a': { rename: { a: '_cdc_lsn' } } },
      /table "public.a": "rename": column "a": "_cdc_lsn" is a field the mongodb sink owns/,
    ],
    [
      'rename onto the MongoDB tombstone field',
      { 'public.a': { targets: [{ sink: 'mongodb', rename: { a: '_cdc_deleted' } }] } },
      /targets\[0\]: "rename": column "a": "_cdc_deleted" is a field the mongodb sink owns/,
    ],
    [
      'rename onto an Elasticsearch metadata field',
      { 'public.a': { targets: [{ sink: 'elasticsearch', rename: { a: '_source' } }] } },
      /targets\[0\]: "rename": column "a": "_source" is a field the elasticsearch sink owns/,
    ],
    [
      'rename onto _id',
      { 'public.a': { rename: { a: '_id' } } },
      /"_id" is a field the elasticsearch sink owns/,
    ],
    [
      'rename onto an empty name',
      { 'public.a': { rename: { a: '' } } },
      /"rename": column "a": the new name must not be empty/,
    ],
    [
      'rename onto a dotted name',
      { 'public.a': { rename: { a: 'b.c' } } },
      /"rename": column "a": the new name "b.c" must not contain "."/,
    ],
    [
      'rename onto a $ name',
      { 'public.a': { rename: { a: '$where' } } },
      /"rename": column "a": the new name "\$where" must not start with "\$"/,
    ],
  ];
  for (const [name, value, expected] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => parseTableOverrides(value), expected);
    });
  }
});
