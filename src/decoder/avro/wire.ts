// The Confluent wire format: magic byte 0, the writer schema's id (4 bytes, big-endian), then the
// Avro body. No JSON text starts with a zero byte, so the first byte tells the two formats apart
// per message, and one topic may even carry both (a connector switched from JSON to Avro).

export const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;

/** True when the bytes are in the Confluent wire format (at least its header). */
export function isWireFormat(bytes: Buffer): boolean {
  return bytes.length >= HEADER_LENGTH && bytes[0] === MAGIC_BYTE;
}

/** The writer schema id; only for bytes isWireFormat accepted. */
export function schemaIdOf(bytes: Buffer): number {
  return bytes.readUInt32BE(1);
}

export function bodyOf(bytes: Buffer): Buffer {
  return bytes.subarray(HEADER_LENGTH);
}
