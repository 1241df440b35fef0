// Strict base64 (standard alphabet, padded), as Kafka's JsonConverter writes bytes. Buffer.from(s,
// 'base64') silently skips characters it does not know, so the text is validated first.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const IS_BASE64 = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) IS_BASE64[ALPHABET.charCodeAt(i)] = 1;
const PAD = 61; // '='

/** True when the text is canonical-form padded base64 ("" included: zero bytes). */
export function isBase64(text: string): boolean {
  const length = text.length;
  if (length % 4 !== 0) return false;
  let end = length;
  if (length > 0 && text.charCodeAt(length - 1) === PAD)
    end = text.charCodeAt(length - 2) === PAD ? length - 2 : length - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || IS_BASE64[c] === 0) return false;
  }
  return true;
}

export function decodeBase64(text: string): Buffer | null {
  return isBase64(text) ? Buffer.from(text, 'base64') : null;
}

/** The big-endian two's complement integer in the bytes (Java's BigInteger(byte[])). */
export function twosComplementToBigInt(bytes: Uint8Array): bigint {
  const length = bytes.length;
  if (length <= 6) {
    let n = 0;
    for (let i = 0; i < length; i++) n = n * 256 + bytes[i]!;
    if (length > 0 && bytes[0]! >= 0x80) n -= 2 ** (8 * length);
    return BigInt(n);
  }
  const value = BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('hex'));
  return bytes[0]! >= 0x80 ? value - (1n << BigInt(8 * length)) : value;
}

/** Inverse of twosComplementToBigInt with the minimal number of bytes (as BigInteger.toByteArray). */
export function bigIntToTwosComplement(value: bigint): Buffer {
  let length = 1;
  // smallest length whose signed range holds the value
  while (value < -(1n << BigInt(8 * length - 1)) || value >= 1n << BigInt(8 * length - 1)) length++;
  const unsigned = value < 0n ? value + (1n << BigInt(8 * length)) : value;
  return Buffer.from(unsigned.toString(16).padStart(2 * length, '0'), 'hex');
}
