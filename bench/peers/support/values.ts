// Pure conversions that bring a value stored by a peer and the same value read from Postgres to
// one comparable text. Each peer stores Debezium's values differently (a decimal as base64 bytes or
// as a decimal string, a date as days since the epoch or as ISO text), so each compared field says
// which form the peer wrote.

/** How a peer stores a column, and therefore how it is compared. */
export type FieldKind =
  /** An integer (number, bigint or BSON Long/Int32); Postgres `col::text`. */
  | 'integer'
  /** Text as is. */
  | 'text'
  /** io.debezium.time.ZonedTimestamp text (ISO-8601, any fraction digits); compared in epoch microseconds. */
  | 'zonedTimestamp'
  /** io.debezium.time.Date as it comes: days since 1970-01-01. */
  | 'epochDays'
  /** A date as 'YYYY-MM-DD'. */
  | 'isoDate'
  /** Kafka Connect Decimal in precise mode: base64 of the unscaled two's complement value; needs a scale. */
  | 'decimalBase64'
  /** A decimal as text (or a number); compared without insignificant zeros. */
  | 'decimalText';

/** The SQL that reads a column from Postgres in the comparable form of `kind`. */
export function postgresExpression(column: string, kind: FieldKind): string {
  const quoted = `"${column.replaceAll('"', '""')}"`;
  switch (kind) {
    case 'integer':
    case 'decimalBase64':
    case 'decimalText':
      return `${quoted}::text`;
    case 'text':
      return quoted;
    case 'zonedTimestamp':
      return `(extract(epoch from ${quoted}) * 1000000)::numeric(30,0)::text`;
    case 'epochDays':
      return `(${quoted} - date '1970-01-01')::text`;
    case 'isoDate':
      return `to_char(${quoted}, 'YYYY-MM-DD')`;
  }
}

/** Postgres's text (from postgresExpression) in the comparable form. */
export function fromPostgres(text: string | null, kind: FieldKind): string {
  if (text === null) return 'null';
  return kind === 'decimalBase64' || kind === 'decimalText' ? canonicalDecimal(text) : text;
}

/** A stored value in the comparable form; a value of an unexpected shape is returned marked, so it differs. */
export function fromDocument(value: unknown, kind: FieldKind, scale = 0): string {
  if (value === null || value === undefined) return 'null';
  try {
    switch (kind) {
      case 'integer':
        return integerText(value);
      case 'text':
        return typeof value === 'string' ? value : `(not text) ${JSON.stringify(value)}`;
      case 'zonedTimestamp':
        return typeof value === 'string' ? isoToEpochMicros(value) : `(not a timestamp) ${String(value)}`;
      case 'epochDays':
        return integerText(value);
      case 'isoDate':
        return typeof value === 'string' ? value : `(not a date) ${String(value)}`;
      case 'decimalBase64':
        return typeof value === 'string'
          ? canonicalDecimal(decodeDecimalBase64(value, scale))
          : `(not base64) ${String(value)}`;
      case 'decimalText':
        return canonicalDecimal(typeof value === 'number' ? String(value) : String(value));
    }
  } catch (error) {
    return `(unreadable: ${(error as Error).message}) ${String(value)}`;
  }
}

function integerText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value).toString();
  const boxed = value as { _bsontype?: string; toString(): string };
  if (boxed && (boxed._bsontype === 'Long' || boxed._bsontype === 'Int32'))
    return BigInt(boxed.toString()).toString();
  return `(not an integer) ${JSON.stringify(value)}`;
}

/** Kafka Connect's Decimal bytes (base64, big-endian two's complement unscaled value) as decimal text. */
export function decodeDecimalBase64(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new Error('empty decimal');
  let unscaled = BigInt(`0x${bytes.toString('hex')}`);
  if ((bytes[0] ?? 0) & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** '15.50' -> '15.5', '-0.00' -> '0', '007' -> '7': equal numbers, equal text. */
export function canonicalDecimal(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) return `(not a decimal) ${text}`;
  const integer = (match[2] ?? '').replace(/^0+/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const body = fraction ? `${integer}.${fraction}` : integer;
  return match[1] === '-' && body !== '0' ? `-${body}` : body;
}

/** '2026-11-23T04:19:16.0996Z' (or with an offset) -> microseconds since the epoch, as text. */
export function isoToEpochMicros(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(iso);
  if (!match) throw new Error(`not an ISO-8601 timestamp: ${iso}`);
  const seconds = Date.parse(`${match[1]}${match[3] === 'Z' ? 'Z' : match[3]}`);
  if (Number.isNaN(seconds)) throw new Error(`not an ISO-8601 timestamp: ${iso}`);
  const fraction = (match[2] ?? '').padEnd(9, '0');
  const micros = BigInt(seconds) * 1000n + BigInt(fraction.slice(0, 6));
  return micros.toString();
}
