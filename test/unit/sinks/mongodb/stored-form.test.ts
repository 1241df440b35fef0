import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { escapeFieldName, toStoredForm } from '../../../../src/sinks/mongodb/stored-form.js';
import type { Document } from '../../../../src/router/document.js';

/** Every field name of a stored value, at any depth. */
function fieldNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(fieldNames);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...fieldNames(child)]);
}

describe('escapeFieldName', () => {
  test('a leading $ becomes ＄ and every . becomes ．', () => {
    assert.equal(escapeFieldName('$where'), '\uFF04where');
    assert.equal(escapeFieldName('a.b.c'), 'a\uFF0Eb\uFF0Ec');
    assert.equal(escapeFieldName('$a.b'), '\uFF04a\uFF0Eb');
    assert.equal(escapeFieldName('.$'), '\uFF0E$');
    assert.equal(escapeFieldName('$'), '\uFF04');
  });

  test('a $ that is not leading is allowed and kept', () => {
    assert.equal(escapeFieldName('price$'), 'price$');
    assert.equal(escapeFieldName('a$b'), 'a$b');
    assert.equal(escapeFieldName('plain'), 'plain');
  });
});

describe('toStoredForm', () => {
  test('hostile field names are escaped at the top level, nested, and inside arrays', () => {
    const document: Document = {
      id: 1n,
      $where: 'sleep(1000)',
      'a.b': 1,
      json: { $set: { admin: true }, 'x.y': [{ $gt: 1, 'p.q': { $ne: null } }], ok: 'fine' },
      list: [[{ $inc: 1 }]],
    };
    assert.deepEqual(toStoredForm(document), {
      id: 1n,
      '\uFF04where': 'sleep(1000)',
      'a\uFF0Eb': 1,
      json: {
        '\uFF04set': { admin: true },
        'x\uFF0Ey': [{ '\uFF04gt': 1, 'p\uFF0Eq': { '\uFF04ne': null } }],
        ok: 'fine',
      },
      list: [[{ '\uFF04inc': 1 }]],
    });
  });

  test('values that look like operators are kept as data (only names are escaped)', () => {
    const stored = toStoredForm({ v: '$where', w: ['a.b', '$x'] });
    assert.deepEqual(stored, { v: '$where', w: ['a.b', '$x'] });
  });

  test('a "__proto__" field is stored as data, not as the prototype', () => {
    const document = JSON.parse('{"__proto__":{"$x":1},"n":{"__proto__":2}}') as Document;
    const stored = toStoredForm(document);
    assert.ok(Object.hasOwn(stored, '__proto__'));
    assert.equal(Object.getPrototypeOf(stored), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(stored, '__proto__')?.value, { '\uFF04x': 1 });
    assert.ok(Object.hasOwn(stored.n as object, '__proto__'));
  });

  test('int64-range bigints are kept as bigint (BSON long)', () => {
    const min = -(2n ** 63n);
    const max = 2n ** 63n - 1n;
    const stored = toStoredForm({ min, max, zero: 0n, nested: [{ n: max }] });
    assert.deepEqual(stored, { min, max, zero: 0n, nested: [{ n: max }] });
    assert.deepEqual(BSON.deserialize(BSON.serialize(stored), { useBigInt64: true }), stored);
  });

  test('bigints beyond int64 become their exact digits as a string (FerretDB refuses Decimal128)', () => {
    const above = 2n ** 63n;
    const below = -(2n ** 63n) - 1n;
    const digits35 = 10n ** 34n;
    const stored = toStoredForm({ above, below, deep: { a: [digits35] } });
    assert.equal(stored.above, '9223372036854775808');
    assert.equal(stored.below, '-9223372036854775809');
    assert.deepEqual(stored.deep, { a: [`1${'0'.repeat(34)}`] });
    assert.doesNotThrow(() => BSON.serialize(stored));
  });

  test('other values pass through unchanged, and the input is not modified', () => {
    const document: Document = { s: 'x', n: 1.5, b: true, z: null, a: [1, 'y'], o: { 'k.k': 1 } };
    const copy = structuredClone(document);
    const stored = toStoredForm(document);
    assert.deepEqual(stored, { s: 'x', n: 1.5, b: true, z: null, a: [1, 'y'], o: { 'k\uFF0Ek': 1 } });
    assert.deepEqual(document, copy);
  });

  test('property: no stored field name starts with $ or contains a dot, and bigints are exact', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('$where', '$set', 'a.b', '.', '$', '__proto__', 'x.$y'),
    );
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }),
        fc.string(),
        fc.double({ noNaN: true }),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(key, tie('value'), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, value.value), (document) => {
        const stored = toStoredForm(document as Document);
        for (const name of fieldNames(stored)) {
          assert.ok(!name.startsWith('$'), name);
          assert.ok(!name.includes('.'), name);
        }
        // Every bigint stays exactly readable: as bigint or as its digits.
        const check = (input: unknown, output: unknown): void => {
          if (typeof input === 'bigint') {
            const text = typeof output === 'bigint' ? output.toString() : output;
            assert.equal(text, input.toString());
          } else if (Array.isArray(input)) {
            (input as unknown[]).forEach((item, index) => check(item, (output as unknown[])[index]));
          }
        };
        for (const [name, item] of Object.entries(document))
          check(item, (stored as Record<string, unknown>)[escapeFieldName(name)]);
        // The stored form is valid BSON with the server's key checks, and int64 values come back exact.
        const bytes = BSON.serialize(stored, { checkKeys: true });
        const back = BSON.deserialize(bytes, { useBigInt64: true });
        assert.equal(Object.keys(back).length, Object.keys(stored).length);
      }),
      { numRuns: 200 },
    );
  });
});
