import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decimal128, Double, Int32, Long } from 'mongodb';
import { canonical, differences } from '../../../src/verify/canonical.js';

describe('canonical', () => {
  test('an integer as number or bigint is the same', () => {
    assert.equal(canonical(42), canonical(42n));
    assert.equal(canonical(-7), canonical(-7n));
    assert.equal(canonical(0), canonical(0n));
    assert.equal(canonical(-0), canonical(0n));
    assert.equal(canonical(2 ** 60), canonical(2n ** 60n));
  });

  test('different integers differ, even beyond 2^53', () => {
    assert.notEqual(canonical(9007199254740993n), canonical(9007199254740992n));
    assert.notEqual(canonical(1n), canonical(2n));
  });

  test('a string and a number never compare equal', () => {
    assert.notEqual(canonical('1'), canonical(1));
    assert.notEqual(canonical('1'), canonical(1n));
    assert.notEqual(canonical('null'), canonical(null));
    assert.notEqual(canonical('true'), canonical(true));
  });

  test('object key order is irrelevant, at any depth', () => {
    assert.equal(
      canonical({ a: 1, b: { c: 2, d: [1, { e: 1, f: 2 }] } }),
      canonical({ b: { d: [1, { f: 2, e: 1 }], c: 2 }, a: 1 }),
    );
  });

  test('array order matters', () => {
    assert.notEqual(canonical([1, 2]), canonical([2, 1]));
  });

  test('MongoDB numeric wrappers compare as their values', () => {
    assert.equal(canonical(Decimal128.fromString('9223372036854775808')), canonical(9223372036854775808n));
    assert.equal(canonical(new Int32(5)), canonical(5n));
    assert.equal(canonical(new Double(2.5)), canonical(2.5));
    assert.equal(canonical(Long.fromNumber(123)), canonical(123n));
  });

  test('a MongoDB Long beyond 2^53 is compared exactly, not through a double', () => {
    assert.equal(canonical(Long.fromBigInt(9223372036854775807n)), canonical(9223372036854775807n));
    assert.equal(canonical(Long.fromBigInt(-9007199254740993n)), canonical(-9007199254740993n));
    assert.notEqual(canonical(Long.fromBigInt(9223372036854775806n)), canonical(9223372036854775807n));
  });

  test('an object with a _bsontype field (a JSON column may hold one) is compared by its fields', () => {
    const stored = { _bsontype: 'Long', low: 1, high: 0 };
    assert.equal(canonical(stored), canonical({ high: 0, low: 1, _bsontype: 'Long' }));
    assert.notEqual(canonical(stored), canonical({ _bsontype: 'Long', low: 2, high: 0 }));
    assert.notEqual(
      canonical({ _bsontype: 'Decimal128', x: 'a' }),
      canonical({ _bsontype: 'Decimal128', x: 'b' }),
    );
  });

  test("a float's NaN or ±Infinity equals the string Elasticsearch keeps for it, and MongoDB's double", () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.equal(canonical(value), canonical(String(value)));
      assert.equal(canonical(new Double(value)), canonical(value));
    }
    assert.notEqual(canonical(Number.POSITIVE_INFINITY), canonical(Number.NEGATIVE_INFINITY));
    assert.notEqual(canonical(Number.NaN), canonical(null));
  });

  test('fractions are compared as JS numbers', () => {
    assert.equal(canonical(1.5), '1.5');
    assert.notEqual(canonical(1.5), canonical(1.25));
  });
});

describe('differences', () => {
  test('equal documents have none, whatever the number type and key order', () => {
    assert.deepEqual(
      differences(
        { id: 1n, total: 10, nested: { x: 1, y: [1n, 'a'] } },
        { nested: { y: [1, 'a'], x: 1n }, total: 10n, id: 1 },
      ),
      [],
    );
  });

  test('absent and null differ, both ways', () => {
    assert.deepEqual(differences({ a: null }, {}), [{ field: 'a', expected: 'null', actual: '(absent)' }]);
    assert.deepEqual(differences({}, { a: null }), [{ field: 'a', expected: '(absent)', actual: 'null' }]);
  });

  test('a string "(absent)" is not confused with an absent field', () => {
    assert.equal(differences({ a: '(absent)' }, {}).length, 1);
  });

  test('each differing field is named with both canonical values', () => {
    assert.deepEqual(differences({ a: 1, b: 'x', c: true }, { a: 2n, b: 'x', d: 0 }), [
      { field: 'a', expected: '1', actual: '2' },
      { field: 'c', expected: 'true', actual: '(absent)' },
      { field: 'd', expected: '(absent)', actual: '0' },
    ]);
  });

  test('a nested difference is reported on its top-level field', () => {
    const found = differences({ doc: { a: 1, b: null } }, { doc: { a: 1 } });
    assert.equal(found.length, 1);
    assert.equal(found[0]?.field, 'doc');
  });

  test('inherited properties are not fields', () => {
    const actual = Object.create({ inherited: 1 }) as Record<string, unknown>;
    assert.deepEqual(differences({}, actual), []);
  });

  test('property: a document has no differences with a reordered, bigint-for-number copy of itself', () => {
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 }),
      ),
    }));
    const swap = (input: unknown): unknown => {
      if (typeof input === 'number') return BigInt(input);
      if (Array.isArray(input)) return input.map(swap);
      if (input !== null && typeof input === 'object') {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(input).reverse())
          Object.defineProperty(out, key, {
            value: swap((input as Record<string, unknown>)[key]),
            enumerable: true,
          });
        return out;
      }
      return input;
    };
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value.value), (document) => {
        assert.deepEqual(differences(document, swap(document) as Record<string, unknown>), []);
      }),
      { numRuns: 200 },
    );
  });
});
