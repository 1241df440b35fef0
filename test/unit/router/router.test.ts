import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Router, tableName, tableTopicPattern } from '../../../src/router/router.js';
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
    const es = new Router(config(), 'elasticsearch').routeFor(ref('public', 'orders'));
    const mongo = new Router(config(), 'mongodb').routeFor(ref('public', 'orders'));
    const expected = {
      table: 'public.orders',
      target: 'public.orders',
      includeColumns: null,
      excludeColumns: null,
      decimal: 'string',
      truncate: 'ignore',
    };
    assert.deepEqual(es, expected);
    assert.deepEqual(mongo, expected);
  });

  test('a sink not in SINKS gets no table, unless a table names it', () => {
    const settings = config({
      sinks: ['elasticsearch'],
      tables: { 'public.special': { sinks: ['mongodb'] } },
    });
    const es = new Router(settings, 'elasticsearch');
    const mongo = new Router(settings, 'mongodb');
    assert.equal(mongo.routeFor(ref('public', 'orders')), null);
    assert.notEqual(es.routeFor(ref('public', 'orders')), null);
    assert.equal(es.routeFor(ref('public', 'special')), null);
    assert.equal(mongo.routeFor(ref('public', 'special'))?.target, 'public.special');
  });

  test('a table going to one sink only is not routed to the other', () => {
    const settings = config({ tables: { 'public.audit': { sinks: ['elasticsearch'] } } });
    assert.equal(new Router(settings, 'mongodb').routeFor(ref('public', 'audit')), null);
    assert.equal(
      new Router(settings, 'elasticsearch').routeFor(ref('public', 'audit'))?.target,
      'public.audit',
    );
    // Other tables are unaffected.
    assert.notEqual(new Router(settings, 'mongodb').routeFor(ref('public', 'orders')), null);
  });

  test('renamed index and collection are used as given, each by its own sink', () => {
    const settings = config({
      indexPrefix: 'dev-',
      tables: { 'public.orders': { elasticsearchIndex: 'orders-v2', mongodbCollection: 'Orders' } },
    });
    assert.equal(
      new Router(settings, 'elasticsearch').routeFor(ref('public', 'orders'))?.target,
      'orders-v2',
    );
    assert.equal(new Router(settings, 'mongodb').routeFor(ref('public', 'orders'))?.target, 'Orders');
  });

  test('default index names get ELASTICSEARCH_INDEX_PREFIX and are lowercased; collections keep their case', () => {
    const settings = config({ indexPrefix: 'dev-' });
    assert.equal(
      new Router(settings, 'elasticsearch').routeFor(ref('Sales', 'OrderItems'))?.target,
      'dev-sales.orderitems',
    );
    assert.equal(
      new Router(settings, 'mongodb').routeFor(ref('Sales', 'OrderItems'))?.target,
      'Sales.OrderItems',
    );
    // The route's table name (metric label, TABLES key) keeps the case too.
    assert.equal(
      new Router(settings, 'elasticsearch').routeFor(ref('Sales', 'OrderItems'))?.table,
      'Sales.OrderItems',
    );
  });

  test('include and exclude columns become sets', () => {
    const settings = config({
      tables: { 'public.a': { includeColumns: ['id', 'name'] }, 'public.b': { excludeColumns: ['ssn'] } },
    });
    const router = new Router(settings, 'mongodb');
    const a = router.routeFor(ref('public', 'a'));
    const b = router.routeFor(ref('public', 'b'));
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
    assert.equal(router.routeFor(ref('public', 'a'))?.decimal, 'double');
    assert.equal(router.routeFor(ref('public', 'a'))?.truncate, 'delete');
    assert.equal(router.routeFor(ref('public', 'b'))?.decimal, 'string');
    assert.equal(router.routeFor(ref('public', 'b'))?.truncate, 'ignore');
    const other = new Router({ ...settings, defaults: { decimal: 'double', truncate: 'delete' } }, 'mongodb');
    assert.equal(other.routeFor(ref('public', 'b'))?.decimal, 'double');
    assert.equal(other.routeFor(ref('public', 'b'))?.truncate, 'delete');
  });

  test('routes are cached per table, including "no route"', () => {
    const router = new Router(config({ tables: { 'public.x': { sinks: ['mongodb'] } } }), 'elasticsearch');
    const first = router.routeFor(ref('public', 'a'));
    assert.equal(router.routeFor(ref('public', 'a')), first);
    assert.equal(router.routeFor(ref('public', 'x')), null);
    assert.equal(router.routeFor(ref('public', 'x')), null);
  });

  test('tableName ignores the database', () => {
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
