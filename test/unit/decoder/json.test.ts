import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type JsonValue,
  type UnreadNumbers,
  bigLiteralsAfterKey,
  findUnsafeIntegers,
  isJsonObject,
  parseJson,
  parseJsonNumber,
  parseJsonWithLosslessJson,
} from '../../../src/decoder/json.js';

describe('the keyed patch: big numbers found by their key in the text', () => {
  test('a Debezium envelope: both ts_ns exact, the safe ts_us numbers', () => {
    const text =
      '{"after":{"id":1,"n":9223372036854775807},"source":{"ts_us":1795407236887339,"ts_ns":1795407236887339819},"op":"u","ts_ns":1795407236887340001}';
    assert.deepEqual(parseJson(text), {
      after: { id: 1, n: 9223372036854775807n },
      source: { ts_us: 1795407236887339, ts_ns: 1795407236887339819n },
      op: 'u',
      ts_ns: 1795407236887340001n,
    });
  });

  test('the key inside strings, escaped, as a value or with a small number is not taken for it', () => {
    for (const text of [
      '{"s":"\\"n\\":12345678901234567891","n":12345678901234567890}',
      '{"a\\"n":12345678901234567891,"n":12345678901234567890}',
      '{"s":"n","n":12345678901234567890,"t":["n"]}',
      '{"x":{"n":5},"n" :\n 12345678901234567890,"y":{"n":1e300}}',
      '{"n":12345678901234567890.5,"m":{"n":12345678901234567891}}',
    ]) {
      assert.deepEqual(parseJson(text), parseJsonWithLosslessJson(text), text);
    }
  });

  test('bigLiteralsAfterKey: only the key itself, unescaped and followed by a colon', () => {
    const text = String.raw`{"s":"a\"n\":12345678901234567891","a\"n":12345678901234567892,"n":12345678901234567890,"t":["n",12345678901234567893],"u":{"n" : -1e300,"n":5}}`;
    assert.deepEqual(bigLiteralsAfterKey(text, 'n'), ['12345678901234567890', '-1e300']);
  });

  test('integer-like keys (enumerated first by V8) are never paired by order', () => {
    // Both literals round to the same double: pairing them by enumeration order would swap them.
    const text = '{"2":{"n":12345678901234567891},"1":{"n":12345678901234567890}}';
    assert.deepEqual(parseJson(text), {
      1: { n: 12345678901234567890n },
      2: { n: 12345678901234567891n },
    });
  });

  test('any depth: deep nesting is left to the iterative scan, never the call stack', () => {
    const depth = 50_000;
    let value = parseJson(`${'{"a":'.repeat(depth)}{"n":12345678901234567890}${'}'.repeat(depth)}`);
    for (let i = 0; i < depth; i++) value = (value as Record<string, unknown>)['a'] as typeof value;
    assert.deepEqual(value, { n: 12345678901234567890n });
  });

  test('what it cannot prove is left to the scan or to lossless-json', () => {
    for (const text of [
      '[12345678901234567890]',
      '{"a-b":12345678901234567890}',
      '{"2":1,"1":12345678901234567890}',
      '{"n":12345678901234567891,"n":12345678901234567890}',
      '{"x":{"n":12345678901234567891},"x":{"n":12345678901234567890}}',
      `${'['.repeat(100)}{"n":12345678901234567890}${']'.repeat(100)}`,
    ]) {
      assert.deepEqual(parseJson(text), parseJsonWithLosslessJson(text), text);
    }
  });
});

describe('big numbers the caller never reads (UnreadNumbers)', () => {
  const rootTsNs: UnreadNumbers = (holder, key, root) => key === 'ts_ns' && holder === root;
  /** The result with a root ts_ns as a number, whichever way it was parsed. */
  const roundRootTsNs = (value: JsonValue): JsonValue => {
    if (!isJsonObject(value) || typeof value['ts_ns'] !== 'bigint') return value;
    return { ...value, ts_ns: Number(value['ts_ns']) };
  };

  test('those are left as JSON.parse gave them, and their key is not searched for', () => {
    const text = '{"after":{"n":9223372036854775807},"ts_ns":1795407236887340001}';
    assert.deepEqual(parseJson(text, rootTsNs), {
      after: { n: 9223372036854775807n },
      ts_ns: Number(1795407236887340001n),
    });
  });

  test('the same key where the caller reads it makes every number under that key exact', () => {
    const text = '{"after":{"ts_ns":9223372036854775807},"ts_ns":1795407236887340001}';
    assert.deepEqual(parseJson(text, rootTsNs), {
      after: { ts_ns: 9223372036854775807n },
      ts_ns: 1795407236887340001n,
    });
  });

  test('property: everything the caller reads is exact, as lossless-json parses it', () => {
    const big = fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n });
    const key = fc.constantFrom('ts_ns', 'ts_ns', 'n', '1', 'a\\"');
    const text: fc.Arbitrary<string> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        big.map(String),
        fc.constantFrom('null', '1e19', '"ts_ns"', JSON.stringify('"ts_ns":12345678901234567891')),
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
        fc
          .array(fc.tuple(key, tie('value')), { maxLength: 4 })
          .map((entries) => `{${entries.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
      ),
    })).value;
    fc.assert(
      fc.property(text, (t) => {
        assert.deepEqual(roundRootTsNs(parseJson(t, rootTsNs)), roundRootTsNs(parseJsonWithLosslessJson(t)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseJsonNumber (the lossless path number parser)', () => {
  test('safe integers stay numbers', () => {
    assert.equal(parseJsonNumber('9007199254740991'), 9007199254740991);
    assert.equal(parseJsonNumber('-9007199254740991'), -9007199254740991);
    assert.equal(parseJsonNumber('0'), 0);
  });

  test('integers beyond 2^53 - 1 become exact bigints', () => {
    assert.equal(parseJsonNumber('9007199254740992'), 9007199254740992n);
    assert.equal(parseJsonNumber('9007199254740993'), 9007199254740993n);
    assert.equal(parseJsonNumber('-9223372036854775808'), -9223372036854775808n);
    assert.equal(parseJsonNumber('123456789012345678901234567890'), 123456789012345678901234567890n);
  });

  test('non-integer literals are numbers, as JSON.parse gives them', () => {
    assert.equal(parseJsonNumber('3.141592653589793238462643383279'), 3.141592653589793);
    assert.equal(parseJsonNumber('-1.5E300'), -1.5e300);
    assert.equal(parseJsonNumber('1e20'), 1e20);
    assert.equal(parseJsonNumber('9007199254740993.0'), 9007199254740992);
  });
});

describe('parseJson', () => {
  test('fast path: plain JSON.parse result', () => {
    assert.deepEqual(parseJson('{"a":[1,2.5,"x",null,true],"b":{"c":-7}}'), {
      a: [1, 2.5, 'x', null, true],
      b: { c: -7 },
    });
  });

  test('lossless path: unsafe integers are bigints, safe ones and floats numbers', () => {
    const parsed = parseJson('{"big":9223372036854775807,"small":42,"f":0.1,"neg":-12345678901234567890}');
    assert.deepEqual(parsed, { big: 9223372036854775807n, small: 42, f: 0.1, neg: -12345678901234567890n });
  });

  test('lossless path with nested values and any root', () => {
    assert.deepEqual(parseJson('[12345678901234567890, {"x": [1, 2]}]'), [
      12345678901234567890n,
      { x: [1, 2] },
    ]);
    assert.equal(parseJson('12345678901234567890'), 12345678901234567890n);
    assert.equal(parseJson('"x"'), 'x');
    assert.equal(parseJson('null'), null);
  });

  test('both paths keep the last of duplicate keys', () => {
    assert.deepEqual(parseJson('{"a":1,"a":2}'), { a: 2 });
    assert.deepEqual(parseJson('{"a":1,"a":2,"n":12345678901234567890}'), { a: 2, n: 12345678901234567890n });
  });

  test('both paths keep "__proto__" as an own data key, never the prototype', () => {
    for (const text of [
      '{"__proto__":{"polluted":1}}',
      '{"__proto__":{"polluted":1},"n":12345678901234567890}',
    ]) {
      const parsed = parseJson(text) as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      assert.ok(Object.prototype.hasOwnProperty.call(parsed, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, { polluted: 1 });
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    }
  });

  test('both paths reject invalid JSON with a SyntaxError', () => {
    assert.throws(() => parseJson('{"a":'), SyntaxError);
    assert.throws(() => parseJson('{"a":12345678901234567890'), SyntaxError);
    assert.throws(() => parseJson(''), SyntaxError);
  });

  test('property: the lossless path equals JSON.parse, up to bigints for unsafe integers', () => {
    const asNumbers = (value: unknown): unknown => {
      if (typeof value === 'bigint') {
        assert.ok(!Number.isSafeInteger(Number(value)), `${value} should have stayed a number`);
        return Number(value);
      }
      if (Array.isArray(value)) return value.map(asNumbers);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asNumbers(v)]));
      }
      return value;
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // An unsafe integer member forces a patch of the whole result.
        const padded = `{"v":${JSON.stringify(value)},"pad":12345678901234567890}`;
        assert.deepEqual(asNumbers(parseJson(padded)), JSON.parse(padded));
      }),
      { numRuns: 300 },
    );
  });

  test('property: any safe or unsafe integer survives exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (n) => {
        const parsed = parseJson(`{"n":${n}}`) as { n: number | bigint };
        assert.equal(BigInt(parsed.n), n);
        assert.equal(
          typeof parsed.n,
          Number.isSafeInteger(Number(n)) && BigInt(Number(n)) === n ? 'number' : 'bigint',
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('the patched path (JSON.parse plus exact bigints) equals lossless-json', () => {
  test('findUnsafeIntegers: paths in document order, strings and escapes skipped', () => {
    const text =
      '{"a\\"b":[1,12345678901234567890,{"k\\u0041":-9223372036854775808}],"s":"12345678901234567890\\"","ts_us":1795407236647433,"f":12345678901234567890.5}';
    const found = findUnsafeIntegers(text);
    assert.deepEqual(
      found?.map((f) => [f.path, f.literal]),
      [
        [['a"b', 1], '12345678901234567890'],
        [['a"b', 2, 'kA'], '-9223372036854775808'],
      ],
    );
    assert.equal(findUnsafeIntegers('{"ts_us":1795407236647433,"s":"9007199254740993"}'), null);
  });

  test('escaped keys, __proto__, a bigint root, integer-like keys', () => {
    for (const text of [
      '{"a\\"b":[1,12345678901234567890,{"k\\u0041":-9223372036854775808}]}',
      '{"__proto__":{"n":12345678901234567890},"m":[9007199254740993]}',
      '12345678901234567890',
      '[12345678901234567890,-12345678901234567890,1.5]',
      '{"2":12345678901234567890,"1":{"10":9007199254740993,"9":1}}',
      '{"ts_ms":1795407236887,"ts_us":1795407236887339,"ts_ns":1795407236887339819}',
    ]) {
      assert.deepEqual(parseJson(text), parseJsonWithLosslessJson(text), text);
    }
    assert.deepEqual(parseJson('{"ts_ns":1795407236887339819}'), { ts_ns: 1795407236887339819n });
  });

  test('duplicate keys fall back to lossless-json: the last value wins, exactly', () => {
    for (const text of [
      '{"a":12345678901234567890,"a":1}',
      '{"a":12345678901234567891,"a":12345678901234567890}',
      '{"a":{"x":12345678901234567890},"a":{"y":1}}',
      '{"a":{"x":12345678901234567890},"a":{"x":12345678901234567891.5}}',
      '{"a":{"x":10000000000000000000},"a":{"x":1e19}}',
      '{"o":{"x":1,"x":12345678901234567890}}',
    ]) {
      assert.deepEqual(parseJson(text), parseJsonWithLosslessJson(text), text);
    }
    assert.deepEqual(parseJson('{"a":12345678901234567891,"a":12345678901234567890}'), {
      a: 12345678901234567890n,
    });
    assert.deepEqual(parseJson('{"a":{"x":12345678901234567890},"a":{"x":12345678901234567891.5}}'), {
      a: { x: Number('12345678901234567891.5') }, // the last, a float: rounded like JSON.parse
    });
  });

  test('property: random JSON with big integers and duplicate keys, both parsers agree', () => {
    const big = fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n });
    const key = fc.constantFrom('a', 'b', '__proto__', 'a\\"', '1', '10', 'é', 'ts_ns', 'n');
    const colon = fc.constantFrom(':', ':', ' : ', ':\n');
    const text: fc.Arbitrary<string> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        big.map(String),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
        fc.string().map((s) => JSON.stringify(s)),
        fc.constantFrom(
          'null',
          'true',
          '"12345678901234567890"',
          '1e19',
          '-0',
          '"ts_ns"',
          JSON.stringify('"ts_ns":12345678901234567891'),
          JSON.stringify('\\"n":12345678901234567891'),
        ),
        fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
        fc
          .array(fc.tuple(key, colon, tie('value')), { maxLength: 4 })
          .map((entries) => `{${entries.map(([k, c, v]) => `"${k}"${c}${v}`).join(',')}}`),
      ),
    })).value;
    fc.assert(
      fc.property(text, (t) => {
        assert.deepEqual(parseJson(t), parseJsonWithLosslessJson(t));
      }),
      { numRuns: 3000 },
    );
  });
});
