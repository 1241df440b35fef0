import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Router, checkTargets, tableName, tableTopicPattern } from '../../../src/router/router.js';
import { ConfigError } from '../../../src/errors.js';
import type { SinkName, TableOverrides } from '../../../src/config/tables.js';
import type { TableRef } from '../../../src/decoder/types.js';

type RouterConfig = ConstructorParameters<typeof Router>[0];

function config(overrides: Partial<{ tables: TableOverrides; sinks: SinkName[]; indexPrefix: string }> = {}) {
  return {
    tables: overrides.tables ?? {},
    defaults: { decimal: 'string', truncate: 'ignore' },
    sinks: overrides.sinks ?? ['elasticsearch', 'mongodb'],
    elasticsearch: { indexPrefix: overrides.indexPrefix ?? '' },
  } satisfies RouterConfig;
}

function ref(schema: string, table: string): TableRef {
  return { database: 'inventory', schema, table };
}

describe('Router', () => {
  test('a table without overrides goes to every configured sink, named "<schema>.<table>"', () => {
    const es = new Router(config(), 'elasticsearch').routesFor(ref('public', 'orders'))[0];
    const mongo = new Router(config(), 'mongodb').routesFor(ref('public', 'orders'))[0];
    const expected = {
      table: 'public.orders',
      target: 'public.orders',
      includeColumns: null,
      excludeColumns: null,
      rename: null,
      decimal: 'string',
      truncate: 'ignore',
    };
    assert.deepEqual(es, { ...expected, sink: 'elasticsearch' });
    assert.deepEqual(mongo, { ...expected, sink: 'mongodb' });
  });

  test('a sink not in SINKS gets no table, unless a table names it', () => {
    const settings = config({
      sinks: ['elasticsearch'],
      tables: { 'public.special': { sinks: ['mongodb'] } },
    });
    const es = new Router(settings, 'elasticsearch');
    const mongo = new Router(settings, 'mongodb');
    assert.equal(mongo.routesFor(ref('public', 'orders'))[0], undefined);
    assert.notEqual(es.routesFor(ref('public', 'orders'))[0], undefined);
    assert.equal(es.routesFor(ref('public', 'special'))[0], undefined);
    assert.equal(mongo.routesFor(ref('public', 'special'))[0]?.target, 'public.special');
  });

  test('a table going to one sink only is not routed to the other', () => {
    const settings = config({ tables: { 'public.audit': { sinks: ['elasticsearch'] } } });
    assert.equal(new Router(settings, 'mongodb').routesFor(ref('public', 'audit'))[0], undefined);
    assert.equal(
      new Router(settings, 'elasticsearch').routesFor(ref('public', 'audit'))[0]?.target,
      'public.audit',
    );
    // Other tables are unaffected.
    assert.notEqual(new Router(settings, 'mongodb').routesFor(ref('public', 'orders'))[0], undefined);
  });

  test('renamed index and collection are used as given, each by its own sink', () => {
    const settings = config({
      indexPrefix: 'dev-',
      tables: { 'public.orders': { elasticsearchIndex: 'orders-v2', mongodbCollection: 'Orders' } },
    });
    assert.equal(
      new Router(settings, 'elasticsearch').routesFor(ref('public', 'orders'))[0]?.target,
      'orders-v2',
    );
    assert.equal(new Router(settings, 'mongodb').routesFor(ref('public', 'orders'))[0]?.target, 'Orders');
  });

  test('default index names get ELASTICSEARCH_INDEX_PREFIX and are lowercased; collections keep their case', () => {
    const settings = config({ indexPrefix: 'dev-' });
    assert.equal(
      new Router(settings, 'elasticsearch').routesFor(ref('Sales', 'OrderItems'))[0]?.target,
      'dev-sales.orderitems',
    );
    assert.equal(
      new Router(settings, 'mongodb').routesFor(ref('Sales', 'OrderItems'))[0]?.target,
      'Sales.OrderItems',
    );
    // The route's table name (metric label, TABLES key) keeps the case too.
    assert.equal(
      new Router(settings, 'elasticsearch').routesFor(ref('Sales', 'OrderItems'))[0]?.table,
      'Sales.OrderItems',
    );
  });

  test('include and exclude columns become sets', () => {
    const settings = config({
      tables: { 'public.a': { includeColumns: ['id', 'name'] }, 'public.b': { excludeColumns: ['ssn'] } },
    });
    const router = new Router(settings, 'mongodb');
    const a = router.routesFor(ref('public', 'a'))[0];
    const b = router.routesFor(ref('public', 'b'))[0];
    assert.deepEqual([...(a?.includeColumns ?? [])], ['id', 'name']);
    assert.equal(a?.excludeColumns, null);
    assert.equal(b?.includeColumns, null);
    assert.deepEqual([...(b?.excludeColumns ?? [])], ['ssn']);
  });

  test('decimal and truncate come from the table, else from the defaults', () => {
    const settings = {
      ...config({ tables: { 'public.a': { decimal: 'double', truncate: 'delete' }, 'public.b': {} } }),
      defaults: { decimal: 'string', truncate: 'ignore' },
    } satisfies RouterConfig;
    const router = new Router(settings, 'elasticsearch');
    assert.equal(router.routesFor(ref('public', 'a'))[0]?.decimal, 'double');
    assert.equal(router.routesFor(ref('public', 'a'))[0]?.truncate, 'delete');
    assert.equal(router.routesFor(ref('public', 'b'))[0]?.decimal, 'string');
    assert.equal(router.routesFor(ref('public', 'b'))[0]?.truncate, 'ignore');
    const other = new Router({ ...settings, defaults: { decimal: 'double', truncate: 'delete' } }, 'mongodb');
    assert.equal(other.routesFor(ref('public', 'b'))[0]?.decimal, 'double');
    assert.equal(other.routesFor(ref('public', 'b'))[0]?.truncate, 'delete');
  });

  test('routes are cached per table, including "no route"', () => {
    const router = new Router(config({ tables: { 'public.x': { sinks: ['mongodb'] } } }), 'elasticsearch');
    const first = router.routesFor(ref('public', 'a'));
    assert.equal(router.routesFor(ref('public', 'a')), first);
    assert.deepEqual(router.routesFor(ref('public', 'x')), []);
    assert.equal(router.routesFor(ref('public', 'x')), router.routesFor(ref('public', 'x')));
  });

  test("a table's targets give one route each for their sink, with their own columns and renames", () => {
    const settings = config({
      indexPrefix: 'cdc.',
      tables: {
        'public.customers': {
          targets: [
            {
              sink: 'elasticsearch',
              index: 'customers_search',
              includeColumns: ['id', 'first_name'],
              rename: { first_name: 'firstName' },
            },
            { sink: 'elasticsearch' },
            {
              sink: 'mongodb',
              collection: 'people',
              excludeColumns: ['email'],
              rename: { last_name: 'surname' },
            },
          ],
          decimal: 'double',
          truncate: 'delete',
        },
      },
    });
    const es = new Router(settings, 'elasticsearch').routesFor(ref('public', 'customers'));
    assert.deepEqual(
      es.map((route) => [
        route.sink,
        route.target,
        [...(route.includeColumns ?? [])],
        route.excludeColumns,
        route.rename && [...route.rename],
      ]),
      [
        ['elasticsearch', 'customers_search', ['id', 'first_name'], null, [['first_name', 'firstName']]],
        ['elasticsearch', 'cdc.public.customers', [], null, null],
      ],
    );
    const mongo = new Router(settings, 'mongodb').routesFor(ref('public', 'customers'));
    assert.equal(mongo.length, 1);
    assert.equal(mongo[0]!.target, 'people');
    assert.deepEqual([...mongo[0]!.excludeColumns!], ['email']);
    assert.deepEqual([...mongo[0]!.rename!], [['last_name', 'surname']]);
    for (const route of [...es, ...mongo]) {
      assert.equal(route.decimal, 'double');
      assert.equal(route.truncate, 'delete');
    }
  });

  test('a target list names its sinks itself, as "sinks" does', () => {
    const settings = config({
      sinks: ['elasticsearch'],
      tables: { 'public.a': { targets: [{ sink: 'mongodb', collection: 'a1' }] } },
    });
    assert.deepEqual(new Router(settings, 'elasticsearch').routesFor(ref('public', 'a')), []);
    assert.equal(new Router(settings, 'mongodb').routesFor(ref('public', 'a'))[0]?.target, 'a1');
  });

  test('the shorthand rename applies to every default target', () => {
    const settings = config({ tables: { 'public.a': { rename: { a: 'b' } } } });
    for (const sink of ['elasticsearch', 'mongodb'] as const)
      assert.deepEqual(
        [...new Router(settings, sink).routesFor(ref('public', 'a'))[0]!.rename!],
        [['a', 'b']],
      );
  });
});

describe('Router: a table whose target another table writes', () => {
  test('a table not in TABLES whose default name a configured table took is a ConfigError when first routed', () => {
    const router = new Router(
      config({ indexPrefix: 'cdc.', tables: { 'public.a': { elasticsearchIndex: 'cdc.public.b' } } }),
      'elasticsearch',
    );
    assert.equal(router.routesFor(ref('public', 'a'))[0]?.target, 'cdc.public.b');
    assert.throws(
      () => router.routesFor(ref('public', 'b')),
      (error: Error) =>
        error instanceof ConfigError &&
        /TABLES: tables "public.a" and "public.b" both write elasticsearch index "cdc.public.b"/.test(
          error.message,
        ),
    );
  });

  test('two tables whose names differ only in case share a lowercased index: refused, not mixed', () => {
    const router = new Router(config(), 'elasticsearch');
    assert.equal(router.routesFor(ref('public', 'Orders'))[0]?.target, 'public.orders');
    assert.throws(
      () => router.routesFor(ref('public', 'orders')),
      /tables "public.Orders" and "public.orders" both write/,
    );
    // MongoDB keeps the case: no clash there.
    const mongo = new Router(config(), 'mongodb');
    mongo.routesFor(ref('public', 'Orders'));
    assert.equal(mongo.routesFor(ref('public', 'orders'))[0]?.target, 'public.orders');
  });
});

describe('checkTargets', () => {
  test('two tables writing one index or collection is a config error naming TABLES and both tables', () => {
    const index = config({
      tables: {
        'public.a': { elasticsearchIndex: 'shared' },
        'public.b': { targets: [{ sink: 'elasticsearch', index: 'shared' }] },
      },
    });
    assert.throws(
      () => checkTargets(index),
      (error: Error) =>
        error instanceof ConfigError &&
        /^invalid configuration:\nTABLES: tables "public.a" and "public.b" both write elasticsearch index "shared"/.test(
          error.message,
        ),
    );
    const collection = config({
      tables: { 'public.a': { mongodbCollection: 'public.b' }, 'public.b': {} },
    });
    assert.throws(
      () => checkTargets(collection),
      /TABLES: tables "public.a" and "public.b" both write mongodb collection "public.b"/,
    );
  });

  test('distinct targets pass', () => {
    checkTargets(
      config({
        tables: {
          'public.a': {
            targets: [
              { sink: 'elasticsearch', index: 'a1' },
              { sink: 'elasticsearch', index: 'a2' },
            ],
          },
          'public.b': {},
        },
      }),
    );
  });
});

describe('tableName', () => {
  test('ignores the database', () => {
    assert.equal(tableName({ database: 'db', schema: 's', table: 't' }), 's.t');
  });
});

describe('tableTopicPattern', () => {
  test('matches exactly "<prefix>.<schema>.<table>"', () => {
    const pattern = tableTopicPattern('cdc');
    for (const topic of ['cdc.public.orders', 'cdc.inventory.Customers', 'cdc.s-1.t_2'])
      assert.ok(pattern.test(topic), topic);
    for (const topic of [
      'cdc.public',
      'cdc.public.orders.extra',
      'cdc..orders',
      'cdc.public.',
      'xcdc.public.orders',
      'other.public.orders',
      'cdc-fanout.dead-letter',
      'cdcXpublic.orders',
      'cdc',
    ])
      assert.ok(!pattern.test(topic), topic);
  });

  test('regex characters in the prefix are literal', () => {
    const dotted = tableTopicPattern('my.app');
    assert.ok(dotted.test('my.app.public.orders'));
    assert.ok(!dotted.test('myXapp.public.orders'));
    const plus = tableTopicPattern('a+b');
    assert.ok(plus.test('a+b.public.orders'));
    assert.ok(!plus.test('aab.public.orders'));
    const all = '.*+?^${}()|[]\\';
    assert.ok(tableTopicPattern(all).test(`${all}.s.t`));
    assert.ok(!tableTopicPattern(all).test('x.s.t'));
  });

  test('property: any prefix matches itself followed by two dot-free names, and nothing shorter', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), name, name, (prefix, schema, table) => {
        const pattern = tableTopicPattern(prefix);
        assert.ok(pattern.test(`${prefix}.${schema}.${table}`));
        assert.ok(!pattern.test(`${prefix}.${schema}`));
        assert.ok(!pattern.test(`${prefix}.${schema}.${table}.${table}`));
      }),
      { numRuns: 300 },
    );
  });
});
