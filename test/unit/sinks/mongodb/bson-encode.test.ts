import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { MAX_ENCODED_BYTES, encodeDocument } from '../../../../src/sinks/mongodb/bson-encode.js';
import { StoredFields, toStoredFormWith } from '../../../../src/sinks/mongodb/stored-form.js';
import type { Document } from '../../../../src/router/document.js';
import { setOwn } from '../../../../src/decoder/own.js';

/** How the driver encodes a command: the reference for every value js-bson encodes correctly. */
function jsBson(document: Record<string, unknown>): Buffer {
  return Buffer.from(BSON.serialize(document, { checkKeys: false, ignoreUndefined: false }));
}

function assertSameAsJsBson(document: Record<string, unknown>, message?: string): void {
  assert.deepEqual(encodeDocument(document), jsBson(document), message);
}

/** A small deterministic generator (mulberry32), so that a failure names a reproducible seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 - 1,
  -(2 ** 53),
  2 ** 53 + 2,
  0.1,
  -1.5e-300,
  1e300,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  NaN,
  Infinity,
  -Infinity,
];
const BIGINTS = [
  0n,
  -1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 31n,
  12345678901234567n,
  2n ** 32n,
  2n ** 32n - 1n,
  -(2n ** 32n),
  -(2n ** 32n) - 1n,
  -(2n ** 31n) - 1n,
  2n ** 53n - 1n,
  -(2n ** 53n) + 1n,
  2n ** 53n,
  -(2n ** 53n),
  0x16b3c2a8f0n, // a WAL position (LSN)
  -123456789012345n,
];
const STRINGS = [
  '',
  'a',
  'plain ascii text that is longer than the short-string loop handles',
  'é',
  'ünïcødé ключ',
  '😀 emoji, a surrogate pair',
  'a lone high surrogate \uD800 in a long string beyond the loop',
  '\uDC00',
  'nul \0 inside a value',
  'back\\slash "quoted"',
  'x'.repeat(5000),
  'ключ'.repeat(3000),
];
const KEYS = [
  'a',
  'a.b',
  '$where',
  '$ref',
  '_bsontype',
  'toBSON',
  'constructor',
  '10',
  '2',
  'ünï',
  'with space',
  '',
];

/** What a stored form changes: names that escape, some alike (two fields become one), and integers beyond int64. */
const STORED_KEYS = [...KEYS, 'a．b', '＄where', 'x.y.z', '$', '.', '．'];
const BEYOND_INT64 = [2n ** 63n, -(2n ** 63n) - 1n, 10n ** 40n];

interface Pool {
  readonly keys: readonly string[];
  readonly bigints: readonly bigint[];
}

function randomValue(
  next: () => number,
  depth: number,
  pool: Pool = { keys: KEYS, bigints: BIGINTS },
): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const kind = Math.floor(next() * (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0:
      return pick(NUMBERS);
    case 1:
      return Math.floor(next() * 2 ** 40) * (next() < 0.5 ? -1 : 1);
    case 2:
      return pick(pool.bigints);
    case 3:
      return pick(STRINGS);
    case 4:
      return pick([true, false, null, undefined]);
    case 5:
      return next() * 1e6 - 5e5;
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1, pool));
    default: {
      const object: Record<string, unknown> = {};
      const fields = Math.floor(next() * 5);
      for (let i = 0; i < fields; i++) {
        const key = pick(pool.keys);
        if (key === '_bsontype' || key === 'toBSON') continue; // js-bson misreads these (below)
        object[key] = randomValue(next, depth + 1, pool);
      }
      return object;
    }
  }
}

describe('encodeDocument', () => {
  test('every kind of value the sink stores, byte for byte as js-bson encodes it', () => {
    for (const value of [...NUMBERS, ...BIGINTS, ...STRINGS, true, false, null])
      assertSameAsJsBson({ v: value }, `value ${String(value).slice(0, 40)}`);
    assertSameAsJsBson({ undefinedIsNull: undefined, nested: [[1, 2], [3]], empty: {}, none: [] });
    assertSameAsJsBson({ date: new Date(Date.UTC(2026, 11, 5, 1, 2, 3, 456)), before1970: new Date(-1) });
    // The range of a Date, both ends, the 32-bit word boundaries, and an invalid one (js-bson: 0).
    for (const milliseconds of [0, 8.64e15, -8.64e15, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), -(2 ** 32) - 1, NaN])
      assertSameAsJsBson({ v: new Date(milliseconds) }, `date ${milliseconds}`);
  });

  test('field names as js-bson writes them, in Object.keys order (integer-like keys first)', () => {
    const document: Record<string, unknown> = { b: 1, 10: 2, a: 3, 2: 4, 'a.b': 5, $where: 6, ünï: 7 };
    setOwn(document, '__proto__', 'a field, not the prototype');
    const encoded = encodeDocument(document);
    assert.deepEqual(encoded, jsBson(document));
    assert.deepEqual(Object.keys(BSON.deserialize(encoded)), [
      '2',
      '10',
      'b',
      'a',
      'a.b',
      '$where',
      'ünï',
      '__proto__',
    ]);
  });

  test('objects without a prototype are documents too', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { x: 1, y: 'two' });
    assert.deepEqual(encodeDocument({ bare }), jsBson({ bare: { x: 1, y: 'two' } }));
  });

  test("the driver's own types (a Long or Decimal128 read back as a position) are encoded by js-bson", () => {
    const document = {
      long: BSON.Long.fromString('9223372036854775807'),
      decimal: BSON.Decimal128.fromString('1.000000000000000000000000000000001'),
      double: new BSON.Double(1),
      int32: new BSON.Int32(7),
      binary: new BSON.Binary(Buffer.from([1, 2, 3])),
      bytes: new Uint8Array([4, 5]),
      id: new BSON.ObjectId('656e9a0b2f1e4c3d2b1a0987'),
      skipped: () => 1,
    };
    assertSameAsJsBson(document);
    assert.deepEqual(Object.keys(BSON.deserialize(encodeDocument(document))), [
      'long',
      'decimal',
      'double',
      'int32',
      'binary',
      'bytes',
      'id',
    ]);
  });

  test('random JSON-like trees, 2,000 of them, byte for byte as js-bson encodes them', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const document: Record<string, unknown> = { _id: `id-${seed}` };
      const fields = 1 + Math.floor(next() * 8);
      for (let i = 0; i < fields; i++) document[`f${i}`] = randomValue(next, 0);
      assertSameAsJsBson(document, `seed ${seed}`);
    }
  });

  test('a field named _bsontype or toBSON (a JSON column can hold one) is data, not a BSON type', () => {
    const row = {
      _id: '1',
      doc: { _bsontype: 'ObjectId', id: 'x' },
      deeper: [{ _bsontype: 'Long', low: 1, high: 2 }],
      toBSON: 'a string, not a method',
      _bsontype: 'Decimal128',
    };
    assert.throws(() => jsBson(row), BSON.BSONError, 'js-bson takes the row for one of its own types');
    assert.throws(() => jsBson({ doc: row.doc }), BSON.BSONVersionError, 'and a nested object too');
    assert.deepEqual(BSON.deserialize(encodeDocument(row)), row);
  });

  test('what BSON cannot hold is refused, never written as something else', () => {
    assert.throws(() => encodeDocument({ 'nul\0key': 1 }), /must not contain null bytes/);
    assert.throws(() => encodeDocument({ v: { inner: { ['a\0']: 1 } } }), BSON.BSONError);
    // js-bson would write 2^63 as -2^63: another number.
    assert.throws(() => encodeDocument({ v: 2n ** 63n }), /beyond the range of a BSON int64/);
    assert.throws(() => encodeDocument({ v: -(2n ** 63n) - 1n }), BSON.BSONError);
  });

  test('a long text is sized by its bytes; a statement over the limit is a RangeError', () => {
    // Three times 6 M units would be over the limit; the 6 MB it takes are not.
    const text = 'a'.repeat(6 * 1024 * 1024);
    assert.equal(BSON.deserialize(encodeDocument({ text }))['text'], text);
    assert.throws(
      () => encodeDocument({ a: text, b: text, c: text }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, new RegExp(`over ${MAX_ENCODED_BYTES} bytes`));
        return true;
      },
    );
  });

  test('a failed or large statement leaves nothing behind for the next one', () => {
    assert.throws(() => encodeDocument({ a: 'x', b: { 'c\0': 1 } }));
    assertSameAsJsBson({ after: 'a failure', n: 1 });
    encodeDocument({ big: 'é'.repeat(3 * 1024 * 1024) });
    assertSameAsJsBson({ after: 'a large one', list: [1, 2, 3] });
  });
});

describe('encodeDocument with StoredFields', () => {
  /** The stored form as toStoredFormWith copies it: what the sink wrote before it wrote from the document. */
  function assertSameAsCopy(document: Document, message?: string): void {
    const fields = new StoredFields(document, '_cdc_lsn', 0x16b3c2a8f0n);
    assert.deepEqual(
      encodeDocument({ q: { _id: 'k' }, u: fields, upsert: true }),
      encodeDocument({
        q: { _id: 'k' },
        u: toStoredFormWith(document, '_cdc_lsn', 0x16b3c2a8f0n),
        upsert: true,
      }),
      message,
    );
  }

  test('random trees with names to escape and integers beyond int64, 2,000 of them, byte for byte as the copy', () => {
    const pool = { keys: STORED_KEYS, bigints: [...BIGINTS, ...BEYOND_INT64] };
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const document: Record<string, unknown> = {};
      const fields = 1 + Math.floor(next() * 8);
      for (let i = 0; i < fields; i++)
        document[next() < 0.3 ? STORED_KEYS[i]! : `f${i}`] = randomValue(next, 0, pool);
      assertSameAsCopy(document as Document, `seed ${seed}`);
    }
  });

  test('names escaped at every depth; two that escape alike are one field, the last value in the first place', () => {
    const document = {
      $where: 'x',
      'a.b': 1,
      keep: { 'c.d': [{ $gt: 1 }, 2], plain: true },
      'a．b': 2,
    };
    const stored = BSON.deserialize(encodeDocument({ u: new StoredFields(document, 'p', 7n) }), {
      useBigInt64: true,
    })['u'] as Record<string, unknown>;
    assert.deepEqual(stored, {
      '＄where': 'x',
      'a．b': 2,
      keep: { 'c．d': [{ '＄gt': 1 }, 2], plain: true },
      p: 7n,
    });
    assert.deepEqual(Object.keys(stored), ['＄where', 'a．b', 'keep', 'p']);
    assertSameAsCopy(document);
  });

  test('an integer beyond int64 is stored as its digits there, and refused anywhere else', () => {
    const document = { big: 2n ** 64n, list: [-(2n ** 63n) - 1n, 5n] };
    const stored = BSON.deserialize(encodeDocument({ u: new StoredFields(document, 'p', 7n) }), {
      useBigInt64: true,
    })['u'];
    assert.deepEqual(stored, { big: '18446744073709551616', list: ['-9223372036854775809', 5n], p: 7n });
    assert.throws(
      () => encodeDocument({ u: document, after: new StoredFields({}, 'p', 1n) }),
      BSON.BSONError,
    );
    assert.throws(
      () => encodeDocument({ before: new StoredFields({}, 'p', 1n), u: document }),
      BSON.BSONError,
    );
  });

  test('js-bson measures and encodes it as its copy (toBSON)', () => {
    const statement = {
      q: { _id: 'k' },
      u: new StoredFields({ 'a.b': 1, n: 2n ** 70n }, 'p', 3n),
      upsert: true,
    };
    assert.deepEqual(Buffer.from(BSON.serialize(statement)), encodeDocument(statement));
    assert.equal(BSON.calculateObjectSize(statement), encodeDocument(statement).length);
  });

  test('a statement that fails inside a stored form leaves the next one unescaped', () => {
    assert.throws(() => encodeDocument({ u: new StoredFields({ 'a.b': { 'c\0': 1 } }, 'p', 1n) }));
    assertSameAsJsBson({ 'a.b': 1, n: 2n });
    assert.throws(() => encodeDocument({ n: 2n ** 64n }), /beyond the range/);
  });
});
