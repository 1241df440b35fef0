import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { columnSelected, toDocument } from '../../../src/router/document.js';
import type { TableRoute } from '../../../src/router/router.js';
import { Decimal, type Row } from '../../../src/decoder/types.js';

function route(overrides: Partial<TableRoute> = {}): TableRoute {
  return {
    table: 'public.t',
    target: 'public.t',
    includeColumns: null,
    excludeColumns: null,
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
