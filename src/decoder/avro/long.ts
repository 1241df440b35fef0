// Avro's long as the JSON path reads int64: a number while it is a safe integer, a bigint beyond
// (avsc's own long type throws there). The same rule as parseJsonNumber, so an Avro event and a
// JSON event of one row carry identical values.
import avro from 'avsc';

function fromSigned(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

export const losslessLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => fromSigned(buf.readBigInt64LE()),
  toBuffer: (n: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (value: number | bigint | string) => fromSigned(BigInt(value)),
  toJSON: (n: number | bigint) => (typeof n === 'bigint' ? Number(n) : n),
  isValid: (n: unknown) =>
    (typeof n === 'number' && Number.isSafeInteger(n)) ||
    (typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n),
  compare: (a: number | bigint, b: number | bigint) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x === y ? 0 : x < y ? -1 : 1;
  },
});
