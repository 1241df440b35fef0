import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MICROS,
  MILLIS,
  NANOS,
  civilFromDays,
  daysFromCivil,
  formatDate,
  formatMicroDuration,
  formatTimeOfDay,
  formatTimestamp,
  normaliseZonedTime,
  normaliseZonedTimestamp,
} from '../../../src/decoder/time.js';
import { ValueError } from '../../../src/decoder/value-error.js';

const JS_DATE_MAX_DAYS = 100_000_000; // Date's range is +-8.64e15 ms = +-1e8 days

describe('formatDate (io.debezium.time.Date)', () => {
  test("Debezium's sentinels for 'infinity' and '-infinity' (from the stack's connector) come out as Postgres spells them", () => {
    assert.equal(formatDate(-2147472692), 'infinity');
    assert.equal(formatDate(-2147472691), '-infinity');
    // Postgres' first date, 4713-01-01 BC, is astronomical year -4712.
    assert.equal(formatDate(-2440550), '-004712-01-01');
  });

  test('known dates, including before 1970 and before year 1000', () => {
    assert.equal(formatDate(0), '1970-01-01');
    assert.equal(formatDate(19782), '2024-02-29');
    assert.equal(formatDate(-1), '1969-12-31');
    assert.equal(formatDate(-25568), '1899-12-31');
    assert.equal(formatDate(-719162), '0001-01-01');
    assert.equal(formatDate(-719163), '0000-12-31');
    assert.equal(formatDate(-719528), '0000-01-01');
    assert.equal(formatDate(-719529), '-000001-12-31');
    assert.equal(formatDate(-354286), '0999-12-31');
    assert.equal(formatDate(-354285), '1000-01-01');
    assert.equal(formatDate(2932896), '9999-12-31');
    assert.equal(formatDate(2932897), '+010000-01-01');
  });

  test("Postgres' first and last dates format; a day beyond them is refused, not stored", () => {
    assert.equal(formatDate(-2_440_588), '-004713-11-24');
    assert.equal(formatDate(2_145_042_905), '+5874897-12-31');
    for (const days of [-2_440_589, 2_145_042_906, 2_147_483_647, -2_147_483_648])
      assert.throws(() => formatDate(days), /outside Postgres' date range/, String(days));
  });

  test("inside a date[], Debezium's other sentinels for 'infinity' and '-infinity' (from the stack's connector)", () => {
    assert.equal(formatDate(-622_191_234), 'infinity');
    assert.equal(formatDate(-625_821_272), '-infinity');
  });

  test('property: agrees with Date.prototype.toISOString over its whole range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_440_588, max: JS_DATE_MAX_DAYS }), (days) => {
        assert.equal(formatDate(days), new Date(days * 86_400_000).toISOString().split('T')[0]);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: daysFromCivil inverts civilFromDays', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), (days) => {
        const [y, m, d] = civilFromDays(days);
        assert.equal(daysFromCivil(y, m, d), days);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatTimeOfDay (Time, MicroTime, NanoTime)', () => {
  test('millis, micros and nanos of the day', () => {
    assert.equal(formatTimeOfDay(0, MILLIS), '00:00:00.000');
    assert.equal(formatTimeOfDay(49_530_500, MILLIS), '13:45:30.500');
    assert.equal(formatTimeOfDay(49_530_500_000, MICROS), '13:45:30.500000');
    assert.equal(formatTimeOfDay(86_399_999_999, MICROS), '23:59:59.999999');
    assert.equal(formatTimeOfDay(49_530_000_000_001, NANOS), '13:45:30.000000001');
    assert.equal(formatTimeOfDay(49_530_000_000_001n, NANOS), '13:45:30.000000001');
  });

  test("Postgres' 24:00:00 is allowed, beyond and negative are not", () => {
    assert.equal(formatTimeOfDay(86_400_000_000, MICROS), '24:00:00.000000');
    assert.throws(() => formatTimeOfDay(86_400_000_001, MICROS), ValueError);
    assert.throws(() => formatTimeOfDay(-1, MILLIS), /outside 00:00:00 to 24:00:00/);
  });
});

describe('formatTimestamp (Timestamp, MicroTimestamp, NanoTimestamp)', () => {
  test('local timestamps without a zone designator', () => {
    assert.equal(formatTimestamp(1_709_251_199_123, MILLIS), '2024-02-29T23:59:59.123');
    assert.equal(formatTimestamp(1_709_251_199_123_456, MICROS), '2024-02-29T23:59:59.123456');
    assert.equal(formatTimestamp(1_709_251_199_123_456_789n, NANOS), '2024-02-29T23:59:59.123456789');
    assert.equal(formatTimestamp(0, MICROS), '1970-01-01T00:00:00.000000');
  });

  test('negative values (before 1970) floor to the previous day', () => {
    assert.equal(formatTimestamp(-1, MICROS), '1969-12-31T23:59:59.999999');
    assert.equal(formatTimestamp(-1, MILLIS), '1969-12-31T23:59:59.999');
    assert.equal(formatTimestamp(-2_209_032_000_000_000, MICROS), '1899-12-31T12:00:00.000000');
    assert.equal(formatTimestamp(-62_135_596_800_000_000, MICROS), '0001-01-01T00:00:00.000000');
    assert.equal(formatTimestamp(-86_400_000_000n * 800_000n - 1n, MICROS), '-000221-09-03T23:59:59.999999');
  });

  test("Debezium's infinity sentinels are Postgres' infinity and -infinity", () => {
    // pgjdbc PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY, and the int64 extremes
    assert.equal(formatTimestamp(9_223_372_036_825_200_000n, MICROS), 'infinity');
    assert.equal(formatTimestamp(-9_223_372_036_832_400_000n, MICROS), '-infinity');
    assert.equal(formatTimestamp(9_223_372_036_854_775_807n, MICROS), 'infinity');
    assert.equal(formatTimestamp(-9_223_372_036_854_775_808n, MICROS), '-infinity');
    // Debezium's own test of the largest Postgres timestamp it passes through
    assert.equal(formatTimestamp(9_223_371_331_200_000_000n - 1n, MICROS), '+294247-01-01T23:59:59.999999');
    assert.equal(formatTimestamp(9_223_372_036_854_775_806n, MICROS), '+294247-01-10T04:00:54.775806');
  });

  test('property: millis agree with Date.prototype.toISOString', () => {
    fc.assert(
      // From Postgres' first timestamp (4714-11-24 BC): earlier ones are refused.
      fc.property(fc.integer({ min: -210_866_803_200_000, max: 8.64e15 }), (ms) => {
        assert.equal(formatTimestamp(ms, MILLIS) + 'Z', new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  test('property: number and bigint inputs agree, micros extend millis', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -210_866_803_200_000_000n, max: 2n ** 62n }), (micros) => {
        const viaBig = formatTimestamp(micros, MICROS);
        if (Number.isSafeInteger(Number(micros)))
          assert.equal(formatTimestamp(Number(micros), MICROS), viaBig);
        const floorMs = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
        const ms = formatTimestamp(floorMs, MILLIS);
        assert.equal(viaBig.slice(0, ms.length), ms);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normaliseZonedTimestamp (io.debezium.time.ZonedTimestamp)', () => {
  test("a year beyond Postgres' range is refused: Debezium sends '-infinity' in a timestamptz[] as +292269055", () => {
    assert.throws(
      () => normaliseZonedTimestamp('+292269055-12-02T23:00:00.000000Z'),
      /outside Postgres' timestamp range/,
    );
    assert.equal(normaliseZonedTimestamp('+294276-12-31T23:59:59.999999Z'), '+294276-12-31T23:59:59.999999Z');
  });

  test('UTC input gets exactly six fraction digits', () => {
    assert.equal(normaliseZonedTimestamp('2024-02-29T21:59:59.123456Z'), '2024-02-29T21:59:59.123456Z');
    assert.equal(normaliseZonedTimestamp('2024-02-29T21:59:59.5Z'), '2024-02-29T21:59:59.500000Z');
    assert.equal(normaliseZonedTimestamp('1970-01-01T00:00:00Z'), '1970-01-01T00:00:00.000000Z');
    assert.equal(normaliseZonedTimestamp('2024-02-29T21:59Z'), '2024-02-29T21:59:00.000000Z');
    assert.equal(normaliseZonedTimestamp('2024-02-29T21:59:59.123456000Z'), '2024-02-29T21:59:59.123456Z');
  });

  test('an offset is applied, so the result is always UTC', () => {
    assert.equal(normaliseZonedTimestamp('2024-02-29T23:59:59.123456+02:00'), '2024-02-29T21:59:59.123456Z');
    assert.equal(normaliseZonedTimestamp('2024-02-28T23:30:00-01:00'), '2024-02-29T00:30:00.000000Z');
    assert.equal(normaliseZonedTimestamp('0001-01-01T00:30:00+01:00'), '0000-12-31T23:30:00.000000Z');
  });

  test('expanded years and infinities', () => {
    assert.equal(normaliseZonedTimestamp('+10000-01-01T00:00:00Z'), '+010000-01-01T00:00:00.000000Z');
    assert.equal(normaliseZonedTimestamp('+294247-01-01T23:59:59.999999Z'), '+294247-01-01T23:59:59.999999Z');
    assert.equal(normaliseZonedTimestamp('-0001-12-31T00:00:00Z'), '-000001-12-31T00:00:00.000000Z');
    assert.equal(normaliseZonedTimestamp('infinity'), 'infinity');
    assert.equal(normaliseZonedTimestamp('-infinity'), '-infinity');
  });

  test('rejects what is not a valid timestamp, or finer than microseconds', () => {
    for (const bad of [
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-02-29T24:00:00Z',
    ]) {
      assert.throws(() => normaliseZonedTimestamp(bad), /not a valid timestamp/, bad);
    }
    assert.throws(() => normaliseZonedTimestamp('2024-02-29 21:59:59Z'), /not an ISO-8601 timestamp/);
    assert.throws(() => normaliseZonedTimestamp('2024-02-29T21:59:59'), /not an ISO-8601 timestamp/);
    assert.throws(() => normaliseZonedTimestamp('2024-02-29T21:59:59.1234567Z'), /finer than microseconds/);
    assert.throws(() => normaliseZonedTimestamp('2024-02-29T21:59:59Z+19:00'), ValueError);
  });

  test('property: a text already in the normal form is kept exactly when the general path would keep it', () => {
    // 'YYYY-MM-DDTHH:MM:SS.ffffffZ' with any digits (or a stray letter), valid or not: the same
    // answer as the same instant written with an offset of +00:00, which only the general path reads.
    const digits = (n: number) =>
      fc.array(fc.constantFrom(...'0123456789', 'x'), { minLength: n, maxLength: n });
    const outcome = (text: string) => {
      try {
        return normaliseZonedTimestamp(text);
      } catch (error) {
        return error instanceof ValueError ? 'refused' : `unexpected ${String(error)}`;
      }
    };
    fc.assert(
      fc.property(
        fc.tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(6)),
        (parts) => {
          const [y, mo, d, h, mi, se, f] = parts.map((part) => part.join(''));
          const text = `${y}-${mo}-${d}T${h}:${mi}:${se}.${f}Z`;
          assert.equal(outcome(text), outcome(text.replace(/Z$/, '+00:00')), text);
        },
      ),
      { numRuns: 5000 },
    );
    for (const text of [
      '2024-02-29T23:59:59.999999Z',
      '1000-01-01T00:00:00.000000Z',
      '0999-12-31T23:59:59.000000Z',
    ])
      assert.equal(normaliseZonedTimestamp(text), text);
  });

  test('property: agrees with Date for millisecond timestamps at any offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62_135_596_800_000 + 86_400_000, max: 253_402_300_799_000 - 86_400_000 }),
        fc.integer({ min: -18 * 60, max: 18 * 60 }),
        (ms, offsetMinutes) => {
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const expected = new Date(ms).toISOString().replace('Z', '000Z');
          assert.equal(normaliseZonedTimestamp(local + offset), expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('normaliseZonedTime (io.debezium.time.ZonedTime)', () => {
  test('six fraction digits, offset kept as given', () => {
    assert.equal(normaliseZonedTime('08:15:30.5Z'), '08:15:30.500000Z');
    assert.equal(normaliseZonedTime('13:45:30.5+05:30'), '13:45:30.500000+05:30');
    assert.equal(normaliseZonedTime('00:00:00Z'), '00:00:00.000000Z');
    assert.equal(normaliseZonedTime('23:59:59.999999-08:00'), '23:59:59.999999-08:00');
    assert.equal(normaliseZonedTime('24:00:00Z'), '24:00:00.000000Z');
  });

  test('rejects invalid times', () => {
    assert.throws(() => normaliseZonedTime('25:00:00Z'), /not a valid time of day/);
    assert.throws(() => normaliseZonedTime('24:00:00.1Z'), /not a valid time of day/);
    assert.throws(() => normaliseZonedTime('12:60:00Z'), /not a valid time of day/);
    assert.throws(() => normaliseZonedTime('12:00:00'), /not an ISO-8601 time/);
    assert.throws(() => normaliseZonedTime('12:00:00.0000001Z'), /finer than microseconds/);
  });
});

describe('formatMicroDuration (io.debezium.time.MicroDuration)', () => {
  test('exact seconds with trailing zeros trimmed', () => {
    assert.equal(formatMicroDuration(3_723_000_001), 'PT3723.000001S');
    assert.equal(formatMicroDuration(-86_400_000_000), 'PT-86400S');
    assert.equal(formatMicroDuration(0), 'PT0S');
    assert.equal(formatMicroDuration(-1), 'PT-0.000001S');
    assert.equal(formatMicroDuration(1_500_000), 'PT1.5S');
    assert.equal(formatMicroDuration(37_091_106_789_000), 'PT37091106.789S');
  });

  test('int64 extremes stay exact', () => {
    assert.equal(formatMicroDuration(9_223_372_036_854_775_807n), 'PT9223372036854.775807S');
    assert.equal(formatMicroDuration(-9_223_372_036_854_775_808n), 'PT-9223372036854.775808S');
  });

  test('property: the text reads back to the same micros', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (micros) => {
        const text = formatMicroDuration(micros);
        const m = /^PT(-?)(\d+)(?:\.(\d{1,6}))?S$/.exec(text);
        assert.ok(m, text);
        const value = BigInt(m[2]!) * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'));
        assert.equal(m[1] === '-' ? -value : value, micros);
        if (Number.isSafeInteger(Number(micros))) assert.equal(formatMicroDuration(Number(micros)), text);
      }),
      { numRuns: 1000 },
    );
  });
});
