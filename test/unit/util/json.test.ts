import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringifyJson } from '../../../src/util/json.js';
import { parseJson } from '../../../src/decoder/json.js';

describe('stringifyJson', () => {
  test('without bigints it is JSON.stringify', () => {
    const value = { a: [1, 'two', null, true, { b: 1.5 }], c: 'x"y\\z\n' };
    assert.equal(stringifyJson(value), JSON.stringify(value));
    assert.equal(stringifyJson('s'), '"s"');
    assert.equal(stringifyJson(null), 'null');
  });

  test('bigints are exact integer literals, at any depth and as the root', () => {
    assert.equal(stringifyJson(9223372036854775807n), '9223372036854775807');
    assert.equal(stringifyJson(-(2n ** 64n)), '-18446744073709551616');
    assert.equal(
      stringifyJson({ lsn: 2n ** 53n + 1n, list: [0n, -1n, { deep: 10n ** 30n }] }),
      '{"lsn":9007199254740993,"list":[0,-1,{"deep":1000000000000000000000000000000}]}',
    );
  });

  test('strings that look like the marker are left alone', () => {
    const lookalikes = [
      'cdc-fanout-bigint:5',
      '\\u0000cdc-fanout-bigint:5\\u0000',
      '"\\u0000cdc-fanout-bigint:5\\u0000"',
      'x\u0000cdc-fanout-bigint:5\u0000',
      // With real NUL characters: Postgres text cannot hold them, but a `json` (not jsonb)
      // column can carry "\u0000" escapes, so they can reach a document.
      '\u0000cdc-fanout-bigint:5\u0000',
      '"\u0000cdc-fanout-bigint:5\u0000',
      '\u0000cdc-fanout-bigint:-12\u0000',
    ];
    for (const text of lookalikes) {
      const value = { text, list: [text], big: 1n, [text]: 2n };
      const json = stringifyJson(value);
      assert.deepEqual(parseJson(json), { text, list: [text], big: 1, [text]: 2 }, JSON.stringify(json));
    }
  });

  test('undefined and functions are dropped like JSON.stringify does', () => {
    assert.equal(stringifyJson({ a: undefined, b: 1n, f: () => 1 }), '{"b":1}');
  });

  test('toJSON is honoured (Dates)', () => {
    assert.equal(stringifyJson({ at: new Date(0), n: 1n }), '{"at":"1970-01-01T00:00:00.000Z","n":1}');
  });
});

describe('stringifyJson and the numbers JSON has not', () => {
  test('NaN and ±Infinity become the strings Debezium writes for them, never null', () => {
    assert.equal(
      stringifyJson({ a: Number.NaN, b: [Number.POSITIVE_INFINITY, { c: Number.NEGATIVE_INFINITY }], n: 1n }),
      '{"a":"NaN","b":["Infinity",{"c":"-Infinity"}],"n":1}',
    );
  });
});

describe('stringifyJson and parseJson round trip', () => {
  // JSON values where integers may be bigint: parseJson gives a bigint exactly for unsafe integers.
  const normalised = (value: unknown): unknown => {
    if (typeof value === 'bigint')
      return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? Number(value) : value;
    if (typeof value === 'number') {
      // An integral double beyond 2^53 is written as an integer literal, which parseJson reads exactly.
      if (Number.isInteger(value) && !Number.isSafeInteger(value) && !String(value).includes('e'))
        return BigInt(String(value));
      return Object.is(value, -0) ? 0 : value;
    }
    if (Array.isArray(value)) return value.map(normalised);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value))
        Object.defineProperty(out, key, {
          value: normalised(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return out;
    }
    return value;
  };

  const big = fc.oneof(
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.bigInt({ min: 2n ** 53n - 2n, max: 2n ** 53n + 2n }),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  );
  const value = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      big,
      fc.string({ unit: 'binary' }),
      fc.constantFrom('\u0000cdc-fanout-bigint:7\u0000', 'cdc-fanout-bigint:7'),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 4 }),
    ),
  }));

  test('property: parseJson(stringifyJson(v)) equals v (bigints exact)', () => {
    fc.assert(
      fc.property(value.value, (input) => {
        const text = stringifyJson(input);
        assert.deepEqual(parseJson(text), normalised(input));
      }),
      { numRuns: 300 },
    );
  });

  test('property: the text is valid JSON (JSON.parse accepts it)', () => {
    fc.assert(
      fc.property(value.value, (input) => {
        JSON.parse(stringifyJson(input));
      }),
      { numRuns: 300 },
    );
  });
});
