// Exact decimals: Kafka Connect's Decimal is the unscaled value as big-endian two's complement
// bytes (base64 in JSON) plus a scale; the text keeps exactly `scale` fraction digits.
import { decodeBase64, twosComplementToBigInt } from './base64.js';
import { Decimal } from './types.js';
import { ValueError, expected } from './value-error.js';

/**
 * Scales beyond this are refused rather than padded out: Postgres numeric has at most 16383
 * fraction digits and a scale down to -1000, so this bounds memory against a hostile scale only.
 */
export const MAX_ABS_SCALE = 1_000_000;

/** "-1.00" for (-100n, 2); "12300" for (123n, -2): Java's BigDecimal.toPlainString. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) {
    if (scale < 0 && unscaled !== 0n) digits += '0'.repeat(-scale);
    return negative ? '-' + digits : digits;
  }
  if (digits.length <= scale) digits = '0'.repeat(scale + 1 - digits.length) + digits;
  const point = digits.length - scale;
  return (negative ? '-' : '') + digits.slice(0, point) + '.' + digits.slice(point);
}

export function checkScale(scale: unknown): number {
  if (typeof scale !== 'number' || !Number.isInteger(scale))
    throw expected('an integer decimal scale', scale);
  if (Math.abs(scale) > MAX_ABS_SCALE) throw new ValueError(`decimal scale ${scale} is out of range`);
  return scale;
}

/** A Connect Decimal value: base64 two's complement bytes at the given scale. */
export function decodeDecimal(base64: unknown, scale: number): Decimal {
  if (typeof base64 !== 'string') throw expected('decimal bytes (base64 string)', base64);
  const bytes = decodeBase64(base64);
  if (bytes === null) throw expected('decimal bytes (base64 string)', base64);
  if (bytes.length === 0) throw new ValueError('decimal bytes are empty');
  return new Decimal(decimalText(twosComplementToBigInt(bytes), scale));
}
