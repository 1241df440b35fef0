import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adoptAsDocument, columnSelected, fieldName, toDocument } from '../../../src/router/document.js';
import type { TableRoute } from '../../../src/router/router.js';
import { Decimal, type Row } from '../../../src/decoder/types.js';
import { ConfigError } from '../../../src/errors.js';

function route(overrides: Partial<TableRoute> = {}): TableRoute {
  return {
    table: 'public.t',
    sink: 'elasticsearch',
    target: 'public.t',
    includeColumns: null,
    excludeColumns: null,
    rename: null,
    decimal: 'string',
    truncate: 'ignore',
    ...overrides,
  };
}

describe('columnSelected', () => {
  test('every column without a selection', () => {
    assert.ok(columnSelected(route(), 'anything'));
  });
  test('includeColumns keeps only the listed columns', () => {
    const r = route({ includeColumns: new Set(['id']) });
    assert.ok(columnSelected(r, 'id'));
    assert.ok(!columnSelected(r, 'name'));
  });
  test('excludeColumns drops the listed columns', () => {
    const r = route({ excludeColumns: new Set(['ssn']) });
    assert.ok(!columnSelected(r, 'ssn'));
    assert.ok(columnSelected(r, 'name'));
  });
});

describe('toDocument', () => {
  const row: Row = {
    id: 1n,
    name: 'Ada',
    ssn: '123',
    price: new Decimal('12.3400'),
    tags: ['a', null],
    doc: { nested: { amount: new Decimal('-0.5') }, list: [new Decimal('1e2'), 2] },
    big: 9223372036854775807n,
    flag: false,
    nothing: null,
  };

  test('decimals as exact strings, everywhere in the value', () => {
    assert.deepEqual(toDocument(row, route()), {
      id: 1n,
      name: 'Ada',
      ssn: '123',
      price: '12.3400',
      tags: ['a', null],
      doc: { nested: { amount: '-0.5' }, list: ['1e2', 2] },
      big: 9223372036854775807n,
      flag: false,
      nothing: null,
    });
  });

  test('decimals as doubles when the route asks for them', () => {
    const document = toDocument(row, route({ decimal: 'double' }));
    assert.equal(document.price, 12.34);
    assert.deepEqual(document.doc, { nested: { amount: -0.5 }, list: [100, 2] });
    // int64 stays exact: "double" is about decimals only.
    assert.equal(document.big, 9223372036854775807n);
  });

  test('includeColumns and excludeColumns select top-level columns only', () => {
    assert.deepEqual(
      Object.keys(toDocument(row, route({ includeColumns: new Set(['id', 'doc', 'absent']) }))),
      ['id', 'doc'],
    );
    const excluded = toDocument(row, route({ excludeColumns: new Set(['ssn', 'nested']) }));
    assert.ok(!('ssn' in excluded));
    assert.deepEqual(excluded.doc, { nested: { amount: '-0.5' }, list: ['1e2', 2] });
  });

  test('a column or JSON key named "__proto__" is kept as data, never as the prototype', () => {
    const hostile = JSON.parse(
      '{"id": 1, "__proto__": {"polluted": true}, "json": {"__proto__": {"x": 1}}}',
    ) as Row;
    assert.ok(Object.hasOwn(hostile, '__proto__'));
    const document = toDocument(hostile, route());
    assert.ok(Object.hasOwn(document, '__proto__'));
    assert.equal(Object.getPrototypeOf(document), Object.prototype);
    assert.deepEqual(Object.keys(document), ['id', '__proto__', 'json']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(document, '__proto__')?.value, { polluted: true });
    assert.equal((document as Record<string, unknown>).polluted, undefined);
    const json = document.json as Record<string, unknown>;
    assert.ok(Object.hasOwn(json, '__proto__'));
    assert.equal(Object.getPrototypeOf(json), Object.prototype);
    assert.equal(
      JSON.stringify(document),
      '{"id":1,"__proto__":{"polluted":true},"json":{"__proto__":{"x":1}}}',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('the row is not modified', () => {
    const input: Row = { price: new Decimal('1.0') };
    toDocument(input, route({ decimal: 'double' }));
    assert.ok(input.price instanceof Decimal);
  });
});

describe('adoptAsDocument (a decoded image nothing else reads)', () => {
  const fresh = (): Row => ({
    id: 1n,
    price: new Decimal('12.3400'),
    tags: [new Decimal('1'), null, 'x'],
    doc: { nested: { amount: new Decimal('-0.5') }, list: [new Decimal('1e2'), 2] },
  });

  test('the row itself, its decimals converted everywhere, equal to what toDocument builds', () => {
    for (const decimal of ['string', 'double'] as const) {
      const row = fresh();
      const expected = toDocument(fresh(), route({ decimal }));
      const document = adoptAsDocument(row, route({ decimal }));
      assert.equal(document, row, 'no copy');
      assert.deepEqual(document, expected);
    }
  });

  test('a second route of the table finds the row converted and converts nothing again', () => {
    const row = fresh();
    const first = adoptAsDocument(row, route({ target: 'a' }));
    const second = adoptAsDocument(row, route({ target: 'b' }));
    assert.equal(second, first);
    assert.deepEqual(second, toDocument(fresh(), route()));
  });

  test('a route that selects or renames gets a copy, and the row is left as it is', () => {
    for (const r of [
      route({ includeColumns: new Set(['id', 'price']) }),
      route({ excludeColumns: new Set(['doc']) }),
      route({ rename: new Map([['price', 'cost']]) }),
    ]) {
      const row = fresh();
      const document = adoptAsDocument(row, r);
      assert.notEqual(document, row);
      assert.deepEqual(document, toDocument(fresh(), r));
      assert.ok(row.price instanceof Decimal);
    }
  });

  test('a key named "__proto__" stays data when converted in place', () => {
    const row = JSON.parse('{"__proto__": {"d": 1}, "j": {"__proto__": 2}}') as Row;
    (row['__proto__'] as Record<string, unknown>)['d'] = new Decimal('3.5');
    const document = adoptAsDocument(row, route());
    assert.deepEqual(Object.getOwnPropertyDescriptor(document, '__proto__')?.value, { d: '3.5' });
    assert.equal(Object.getPrototypeOf(document), Object.prototype);
  });
});

describe('renames', () => {
  const row: Row = { id: 1, first_name: 'Ada', last_name: 'Lovelace', email: 'ada@x' };

  test('selection first, then the selected columns get their new names', () => {
    const renamed = route({
      includeColumns: new Set(['id', 'first_name']),
      rename: new Map([['first_name', 'firstName']]),
    });
    assert.deepEqual(toDocument(row, renamed), { id: 1, firstName: 'Ada' });
    const swapped = route({
      excludeColumns: new Set(['email']),
      rename: new Map([
        ['first_name', 'last_name'],
        ['last_name', 'first_name'],
      ]),
    });
    assert.deepEqual(toDocument(row, swapped), { id: 1, last_name: 'Ada', first_name: 'Lovelace' });
  });

  test('fieldName maps through the renames and leaves other columns as they are', () => {
    const renamed = route({ rename: new Map([['first_name', 'firstName']]) });
    assert.equal(fieldName(renamed, 'first_name'), 'firstName');
    assert.equal(fieldName(renamed, 'email'), 'email');
    assert.equal(fieldName(route(), 'email'), 'email');
  });

  test('a rename onto another selected column is a ConfigError naming TABLES, the table, the target and both columns', () => {
    const clash = route({ rename: new Map([['first_name', 'email']]), target: 'people' });
    assert.throws(
      () => toDocument(row, clash),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          'invalid configuration:\nTABLES: table "public.t": elasticsearch target "people" renames column "first_name" to "email", which is also a column of the table: rename or leave out "email" too',
    );
    // Left out, the other column takes no field: no clash.
    const excluded = route({
      rename: new Map([['first_name', 'email']]),
      excludeColumns: new Set(['email']),
    });
    assert.deepEqual(toDocument(row, excluded), { id: 1, email: 'Ada', last_name: 'Lovelace' });
  });

  test('a renamed "__proto__" field is stored as data', () => {
    const document = toDocument(row, route({ rename: new Map([['first_name', '__proto__']]) }));
    assert.ok(Object.hasOwn(document, '__proto__'));
    assert.equal(Object.getPrototypeOf(document), Object.prototype);
  });
});
