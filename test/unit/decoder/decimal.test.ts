import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bigIntToTwosComplement,
  decodeBase64,
  isBase64,
  twosComplementToBigInt,
} from '../../../src/decoder/base64.js';
import { decimalText, decodeDecimal } from '../../../src/decoder/decimal.js';
import { Decimal } from '../../../src/decoder/types.js';

/** Independent encoder: Java's BigInteger.toByteArray, by repeated division. */
function javaToByteArray(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
  } while (!((v === 0n && bytes[0]! < 0x80) || (v === -1n && bytes[0]! >= 0x80)));
  return Buffer.from(bytes);
}

/** Independent reference: scale by string arithmetic on the absolute digits. */
function referenceText(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString();
  if (scale <= 0) return sign + (unscaled === 0n ? '0' : digits + '0'.repeat(-scale));
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

describe('base64', () => {
  test('accepts canonical padded base64, including empty', () => {
    for (const ok of ['', 'AA==', 'AAA=', 'AAAA', '3q2+7w==', 'CUmw9vACMxPESZBOzGdFFQ==', '/w==']) {
      assert.ok(isBase64(ok), ok);
    }
  });

  test('rejects what Buffer.from would silently mangle', () => {
    for (const bad of [
      'A',
      'AA',
      'AA=',
      'A===',
      '====',
      'AA=A',
      'AA AA',
      'AA-_',
      'AAA\u00e9',
      '****',
      'AA==AA==',
    ]) {
      assert.ok(!isBase64(bad), bad);
      assert.equal(decodeBase64(bad), null);
    }
  });

  test('two complement: known values', () => {
    assert.equal(twosComplementToBigInt(Buffer.from([0x00])), 0n);
    assert.equal(twosComplementToBigInt(Buffer.from([0xff])), -1n);
    assert.equal(twosComplementToBigInt(Buffer.from([0x80])), -128n);
    assert.equal(twosComplementToBigInt(Buffer.from([0x00, 0x80])), 128n);
    assert.equal(twosComplementToBigInt(Buffer.from([0xff, 0x9c])), -100n);
    assert.equal(twosComplementToBigInt(Buffer.from('7fffffffffffffff', 'hex')), 2n ** 63n - 1n);
    assert.equal(twosComplementToBigInt(Buffer.from('8000000000000000', 'hex')), -(2n ** 63n));
    assert.equal(twosComplementToBigInt(Buffer.from('ffffffffffffff', 'hex')), -1n); // 7 bytes: bigint path
  });

  test('property: bigIntToTwosComplement matches Java and round-trips', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }), (n) => {
        const bytes = bigIntToTwosComplement(n);
        assert.deepEqual(bytes, javaToByteArray(n));
        assert.equal(twosComplementToBigInt(bytes), n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decimalText', () => {
  test('exactly `scale` fraction digits', () => {
    assert.equal(decimalText(-100n, 2), '-1.00');
    assert.equal(decimalText(1n, 2), '0.01');
    assert.equal(decimalText(0n, 2), '0.00');
    assert.equal(decimalText(-1n, 10), '-0.0000000001');
    assert.equal(
      decimalText(12_345_678_901_234_567_890_123_456_780_123_456_789n, 10),
      '1234567890123456789012345678.0123456789',
    );
    assert.equal(
      decimalText(-12_345_678_901_234_567_890_123_456_780_123_456_789n, 10),
      '-1234567890123456789012345678.0123456789',
    );
  });

  test('scale 0 and negative scales (Postgres 15 numeric(p,-s))', () => {
    assert.equal(decimalText(0n, 0), '0');
    assert.equal(decimalText(-42n, 0), '-42');
    assert.equal(decimalText(123n, -2), '12300');
    assert.equal(decimalText(0n, -2), '0');
  });
});

describe('decodeDecimal', () => {
  test('Connect Decimal bytes to exact text', () => {
    assert.deepEqual(
      decodeDecimal('CUmw9vACMxPESZBOzGdFFQ==', 10),
      new Decimal('1234567890123456789012345678.0123456789'),
    );
    assert.deepEqual(decodeDecimal('/w==', 10), new Decimal('-0.0000000001'));
    assert.deepEqual(decodeDecimal('EtaH', 2), new Decimal('12345.67'));
    assert.deepEqual(decodeDecimal('nA==', 2), new Decimal('-1.00'));
    assert.deepEqual(decodeDecimal('AA==', 0), new Decimal('0'));
  });

  test('rejects non-strings, bad base64 and empty bytes', () => {
    assert.throws(() => decodeDecimal(12.5, 2), /expected decimal bytes \(base64 string\), got number 12.5/);
    assert.throws(() => decodeDecimal('not base64!', 2), /expected decimal bytes/);
    assert.throws(() => decodeDecimal('', 2), /decimal bytes are empty/);
  });

  test('property: random unscaled values and scales round-trip through base64 exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 80n), max: 10n ** 80n }),
        fc.integer({ min: -20, max: 60 }),
        (unscaled, scale) => {
          const base64 = javaToByteArray(unscaled).toString('base64');
          const decoded = decodeDecimal(base64, scale);
          assert.ok(decoded instanceof Decimal);
          assert.equal(decoded.text, referenceText(unscaled, scale));
          // and the text reads back to the unscaled value
          if (scale >= 0) assert.equal(BigInt(decoded.text.replace('.', '')), unscaled);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
