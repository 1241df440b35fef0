// Debezium's temporal encodings to ISO-8601 text, with integer arithmetic only (proleptic
// Gregorian calendar, UTC, any sign): no Date objects, no time zone, no rounding.
//
// Years 0000-9999 print with 4 digits; others with a sign and at least 6 digits, as ISO-8601's
// expanded representation and Date.prototype.toISOString do ("-000001-12-31", "+010000-01-01").
// Year 0 is 1 BC (Postgres '0001-01-01 BC' is "0000-01-01").
import { ValueError } from './value-error.js';

/** Days since 1970-01-01 to [year, month, day] (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

/** [year, month, day] to days since 1970-01-01 (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function padN(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return padN(year, 4);
  return (year < 0 ? '-' : '+') + padN(Math.abs(year), 6);
}

/**
 * Debezium 3.2 sends a date 'infinity' as -2147472692 and '-infinity' as -2147472691 (checked
 * against the stack's connector): days near year -5877611, far below Postgres' first date (4713
 * BC), so neither can be a real value.
 */
const DATE_POSITIVE_INFINITY = -2_147_472_692;
const DATE_NEGATIVE_INFINITY = -2_147_472_691;
/**
 * Inside a date[] Debezium takes another path: pgjdbc's infinity timestamps (in milliseconds)
 * divided into days and wrapped to 32 bits (checked against the stack's connector). Both are
 * below Postgres' first date too.
 */
const ARRAY_DATE_POSITIVE_INFINITY = -622_191_234;
const ARRAY_DATE_NEGATIVE_INFINITY = -625_821_272;

/** Postgres' first and last date: 4714-11-24 BC (Julian day 0) and 5874897-12-31. */
const FIRST_DAY = -2_440_588;
const LAST_DAY = 2_145_042_905;

/**
 * io.debezium.time.Date: days since the epoch to 'YYYY-MM-DD' (astronomical years: 44 BC is
 * -000043), and the infinity sentinels to Postgres' 'infinity' and '-infinity'. Any other day
 * outside Postgres' range is a value Debezium garbled, refused rather than stored as a date
 * Postgres cannot hold.
 */
export function formatDate(days: number): string {
  if (days === DATE_POSITIVE_INFINITY || days === ARRAY_DATE_POSITIVE_INFINITY) return 'infinity';
  if (days === DATE_NEGATIVE_INFINITY || days === ARRAY_DATE_NEGATIVE_INFINITY) return '-infinity';
  if (days < FIRST_DAY || days > LAST_DAY)
    throw new ValueError(`${days} days from 1970 is outside Postgres' date range (4714 BC to 5874897)`);
  const [year, month, day] = civilFromDays(days);
  return `${formatYear(year)}-${pad2(month)}-${pad2(day)}`;
}

/** Whole seconds since midnight to 'HH:MM:SS'. */
function formatSeconds(seconds: number): string {
  const second = seconds % 60;
  const minutes = (seconds - second) / 60;
  const minute = minutes % 60;
  const hour = (minutes - minute) / 60;
  return `${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
}

/** A time of day in `unitsPerSecond` units to 'HH:MM:SS.fff...' with `digits` fraction digits. */
function formatClock(units: number, unitsPerSecond: number, digits: number): string {
  const fraction = units % unitsPerSecond;
  return `${formatSeconds((units - fraction) / unitsPerSecond)}.${padN(fraction, digits)}`;
}

/** Precision of a time value: units per second and the fraction digits printed. */
export interface TimeUnit {
  readonly perSecond: number;
  readonly digits: number;
  readonly perDay: number;
  readonly perDayBig: bigint;
}

function unit(perSecond: number, digits: number): TimeUnit {
  const perDay = perSecond * 86_400;
  return { perSecond, digits, perDay, perDayBig: BigInt(perDay) };
}

export const MILLIS = unit(1e3, 3);
export const MICROS = unit(1e6, 6);
export const NANOS = unit(1e9, 9);

/**
 * io.debezium.time.Time / MicroTime / NanoTime: units since midnight to 'HH:MM:SS.fff'. Postgres
 * allows 24:00:00, so a full day is accepted; anything outside [0, 24h] is refused.
 */
export function formatTimeOfDay(value: number | bigint, u: TimeUnit): string {
  const units = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(units) || units < 0 || units > u.perDay) {
    throw new ValueError(`time of day ${String(value)} is outside 00:00:00 to 24:00:00`);
  }
  return formatClock(units, u.perSecond, u.digits);
}

/**
 * Debezium sends Postgres' timestamp 'infinity' and '-infinity' as pgjdbc's sentinels
 * PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY (its tests pin them for
 * MicroTimestamp); its documentation names the int64 extremes. All four lie beyond Postgres'
 * largest timestamp (294276 AD), so none can be a real value.
 */
const POSITIVE_INFINITY = new Set([9_223_372_036_825_200_000n, 9_223_372_036_854_775_807n]);
const NEGATIVE_INFINITY = new Set([-9_223_372_036_832_400_000n, -9_223_372_036_854_775_808n]);

/**
 * io.debezium.time.Timestamp / MicroTimestamp / NanoTimestamp: units since the epoch, no zone, to
 * 'YYYY-MM-DDTHH:MM:SS.fff' (no Z: a local timestamp). The infinity sentinels come out as
 * 'infinity' and '-infinity', Postgres' own spelling (as ZonedTimestamp already carries them).
 */
export function formatTimestamp(value: number | bigint, u: TimeUnit): string {
  let days: number;
  let units: number;
  if (typeof value === 'number') {
    let rest = value % u.perDay; // exact: both are safe integers
    if (rest < 0) rest += u.perDay;
    days = (value - rest) / u.perDay;
    units = rest;
  } else {
    if (POSITIVE_INFINITY.has(value)) return 'infinity';
    if (NEGATIVE_INFINITY.has(value)) return '-infinity';
    let rest = value % u.perDayBig;
    let whole = value / u.perDayBig;
    if (rest < 0n) {
      rest += u.perDayBig;
      whole -= 1n;
    }
    days = Number(whole);
    units = Number(rest);
  }
  return `${formatDate(days)}T${formatClock(units, u.perSecond, u.digits)}`;
}

/** io.debezium.time.MicroDuration: microseconds to an exact 'PT<seconds>S' ("PT-0.000001S"). */
export function formatMicroDuration(value: number | bigint): string {
  let whole: string;
  let fraction: number;
  let negative: boolean;
  if (typeof value === 'number') {
    negative = value < 0;
    const abs = Math.abs(value);
    fraction = abs % 1e6;
    whole = String((abs - fraction) / 1e6);
  } else {
    negative = value < 0n;
    const abs = negative ? -value : value;
    fraction = Number(abs % 1_000_000n);
    whole = String(abs / 1_000_000n);
  }
  let text = 'PT' + (negative ? '-' : '') + whole;
  if (fraction !== 0) {
    let digits = padN(fraction, 6);
    let end = digits.length;
    while (digits.charCodeAt(end - 1) === 48) end--;
    digits = digits.slice(0, end);
    text += '.' + digits;
  }
  return text + 'S';
}

/** Fraction digits (0-9 of them, maybe none) to exactly six; refuses to drop non-zero digits. */
function sixDigitFraction(fraction: string | undefined, original: string): string {
  if (fraction === undefined || fraction === '') return '000000';
  if (fraction.length <= 6) return fraction.padEnd(6, '0');
  for (let i = 6; i < fraction.length; i++) {
    if (fraction.charCodeAt(i) !== 48)
      throw new ValueError(`${JSON.stringify(original)} is finer than microseconds`);
  }
  return fraction.slice(0, 6);
}

const ZONED_TIMESTAMP =
  /^([+-]?\d{4,9})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;

function offsetSeconds(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.charCodeAt(0) === 45 ? -1 : 1;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  const seconds = offset.length > 6 ? Number(offset.slice(7, 9)) : 0;
  if (hours > 18 || minutes > 59 || seconds > 59) throw new ValueError(`invalid UTC offset ${offset}`);
  return sign * (hours * 3600 + minutes * 60 + seconds);
}

/** The digit at `i` of `text` as a number, or NaN. */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

function twoDigitsAt(text: string, i: number): number {
  return digitAt(text, i) * 10 + digitAt(text, i + 1);
}

/**
 * Whether `text` is already what normaliseZonedTimestamp makes of it: 'YYYY-MM-DDTHH:MM:SS.ffffffZ'
 * with a valid date and time in years 1000-9999, as Debezium sends most timestamptz values; then
 * the text is kept as it is, with no match groups and no new string per value.
 */
function isNormalUtcTimestamp(text: string): boolean {
  if (text.length !== 27) return false;
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 /* . */ ||
    text.charCodeAt(26) !== 90 /* Z */
  ) {
    return false;
  }
  for (let i = 20; i < 26; i++) if (Number.isNaN(digitAt(text, i))) return false;
  const year = twoDigitsAt(text, 0) * 100 + twoDigitsAt(text, 2);
  const month = twoDigitsAt(text, 5);
  const day = twoDigitsAt(text, 8);
  // NaN fails every comparison: a non-digit anywhere makes this false.
  return (
    year >= 1000 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    twoDigitsAt(text, 11) <= 23 &&
    twoDigitsAt(text, 14) <= 59 &&
    twoDigitsAt(text, 17) <= 59
  );
}

/**
 * io.debezium.time.ZonedTimestamp: an ISO-8601 string with an offset (Debezium sends UTC, 'Z', with
 * 0-9 fraction digits) to 'YYYY-MM-DDTHH:MM:SS.ffffffZ': always UTC, always six fraction digits.
 * 'infinity' and '-infinity' (Postgres' special values) are kept as they are.
 */
export function normaliseZonedTimestamp(text: string): string {
  if (isNormalUtcTimestamp(text)) return text;
  const m = ZONED_TIMESTAMP.exec(text);
  if (m === null) {
    if (text === 'infinity' || text === '-infinity') return text;
    throw new ValueError(`${JSON.stringify(text.slice(0, 60))} is not an ISO-8601 timestamp with an offset`);
  }
  const year = Number(m[1]);
  // Debezium sends '-infinity' inside a timestamptz[] as year +292269055 (and a plain timestamp can
  // never be so far out): not a Postgres value, so it is refused rather than stored as a date.
  if (year < -4713 || year > 294_276)
    throw new ValueError(`${JSON.stringify(text)} is outside Postgres' timestamp range (4714 BC to 294276)`);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ValueError(`${JSON.stringify(text)} is not a valid timestamp`);
  }
  const fraction = sixDigitFraction(m[7], text);
  const offset = offsetSeconds(m[8]!);
  if (offset === 0) {
    return `${formatYear(year)}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${pad2(second)}.${fraction}Z`;
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  let rest = seconds % 86_400;
  if (rest < 0) rest += 86_400;
  const days = (seconds - rest) / 86_400;
  return `${formatDate(days)}T${formatSeconds(rest)}.${fraction}Z`;
}

const ZONED_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/;

/**
 * io.debezium.time.ZonedTime: 'HH:MM[:SS[.f]]' plus an offset to 'HH:MM:SS.ffffff' plus the same
 * offset, spelled as Debezium gave it ('Z' or '+05:30'). The offset is kept rather than applied: a
 * time of day with a zone has no date, so shifting it to UTC could cross midnight and change it.
 */
export function normaliseZonedTime(text: string): string {
  const m = ZONED_TIME.exec(text);
  if (m === null)
    throw new ValueError(`${JSON.stringify(text.slice(0, 60))} is not an ISO-8601 time with an offset`);
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  const fraction = sixDigitFraction(m[4], text);
  const endOfDay = hour === 24 && minute === 0 && second === 0 && fraction === '000000';
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) {
    throw new ValueError(`${JSON.stringify(text)} is not a valid time of day`);
  }
  return `${m[1]}:${m[2]}:${pad2(second)}.${fraction}${m[5]}`;
}
