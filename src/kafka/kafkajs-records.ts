// kafkajs 2.2.4 decodes every record's offset and timestamp through its 64-bit Long (a BigInt
// wrapper): the batch's first offset and timestamp are parsed from decimal strings, added to, and
// printed back, for each record, and the timestamp delta is read one varint byte at a time as
// Longs. It then decodes each header name to a new string and merges the headers by spreading a
// new object per header (Debezium 3 sends three per record). This decoder returns the same record,
// field for field, with plain numbers where they are exact and the Long path kept for the rest;
// it is installed in kafkajs' place before kafkajs loads (loadKafkajs), and only for the version
// it was written against.
//
// A record holds numbers: where its key, value and headers lie in the bytes it shares with its
// batch. kafkajs' batch stays reachable until the batch is committed, and a Buffer view per key,
// value and header, the headers object and the timestamp's string were most of what each record
// held through that time: long enough to survive young-generation collections and be promoted.
// The service reads the key and the value once, to decode them, and neither the timestamp nor the
// headers. So the key and the value are made on each read (a new view of the same bytes each time,
// where kafkajs kept one), the timestamp on each read, the headers on the first. The sections are
// still walked at once, with kafkajs' own reads, so a malformed record fails where it failed and
// leaves the decoder where kafkajs left it.
import { createRequire, Module } from 'node:module';

const require = createRequire(import.meta.url);

/** The kafkajs version whose record decoder this one reproduces. */
const KAFKAJS_VERSION = '2.2.4';
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';

/** kafkajs' Long: only what the fallback path needs. */
interface KafkajsLong {
  add(addend: KafkajsLong | number): KafkajsLong;
  toString(): string;
}
interface LongStatics {
  fromValue(value: string | number | KafkajsLong): KafkajsLong;
}

/** The parts of kafkajs' protocol Decoder a record is read with. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): KafkajsLong;
  readVarIntBytes(): Buffer | null;
}

/** What kafkajs' batch decoder hands each record: its batch's header fields. */
export interface BatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
  readonly maxTimestamp?: string;
}

export type HeaderValue = Buffer | null | Array<Buffer | null | unknown>;

export interface DecodedRecord {
  readonly magicByte: number | undefined;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, HeaderValue>;
  readonly isControlRecord: boolean;
  readonly batchContext: BatchContext;
}

const Long = require('kafkajs/src/utils/long.js') as LongStatics;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };

/** Up to 49 bits: the value and its zigzag decoding are exact doubles. */
const EXACT_VARLONG_BYTES = 7;

/** The next varlong as a number when it is short enough to be exact, else null and nothing read. */
function readShortVarLong(decoder: KafkajsDecoder): number | null {
  const { buffer } = decoder;
  let at = decoder.offset;
  let unsigned = 0;
  let scale = 1;
  for (let read = 0; read < EXACT_VARLONG_BYTES && at < buffer.length; read++) {
    const byte = buffer[at++]!;
    unsigned += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = at;
      return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    }
    scale *= 128;
  }
  return null;
}

/** `base + delta` as kafkajs prints it: a decimal string, exact for every int64. */
function addToDecimal(base: string | undefined, delta: number | KafkajsLong): string {
  if (typeof delta === 'number' && base !== undefined) {
    const start = Number(base);
    const sum = start + delta;
    if (Number.isSafeInteger(start) && Number.isSafeInteger(sum)) return String(sum);
  }
  return Long.fromValue(base as string)
    .add(delta)
    .toString();
}

/** Header names recently decoded, as bytes and as the string they decode to. */
const NAME_SLOTS = 16;
const nameBytes: Buffer[] = [];
const nameTexts: string[] = [];
let nextNameSlot = 0;

function bytesEqual(known: Buffer, buffer: Buffer, start: number): boolean {
  for (let i = 0; i < known.length; i++) if (known[i] !== buffer[start + i]) return false;
  return true;
}

/**
 * A header's name, as kafkajs reads it (a null name is keyed "null" by its merge). The same few
 * names come in every record (Debezium's three), so each is decoded once: the record then costs
 * no new string, and setting a property under a name V8 has seen is its fast path.
 */
function readHeaderName(decoder: KafkajsDecoder): string {
  const length = decoder.readVarInt();
  if (length === -1) return 'null';
  const { buffer } = decoder;
  const start = decoder.offset;
  decoder.offset = start + length;
  for (let slot = 0; slot < nameBytes.length; slot++) {
    const known = nameBytes[slot]!;
    if (known.length === length && bytesEqual(known, buffer, start)) return nameTexts[slot]!;
  }
  const name = buffer.toString('utf8', start, start + length);
  nameBytes[nextNameSlot] = Buffer.from(buffer.subarray(start, start + length));
  nameTexts[nextNameSlot] = name;
  nextNameSlot = (nextNameSlot + 1) % NAME_SLOTS;
  return name;
}

/**
 * kafkajs' merge, one object instead of one per header: a repeated key collects its values in an
 * array. It reads the key as kafkajs does (inherited properties included), and defines `__proto__`
 * as an own property, as kafkajs' spread does, instead of setting the prototype.
 */
function readHeaders(decoder: KafkajsDecoder): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  const count = decoder.readVarInt();
  for (let i = 0; i < count; i++) {
    const key = readHeaderName(decoder);
    const value = decoder.readVarIntBytes();
    const earlier: unknown = headers[key];
    const merged =
      earlier === undefined ? value : Array.isArray(earlier) ? earlier.concat([value]) : [earlier, value];
    if (key === '__proto__') {
      Object.defineProperty(headers, key, {
        value: merged,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      headers[key] = merged;
    }
  }
  return headers;
}

/**
 * Moves past a length-prefixed field as kafkajs' readVarIntBytes (and readHeaderName) do,
 * creating nothing; answers its length, -1 for null. The field starts `length` bytes back.
 */
function skipField(decoder: KafkajsDecoder): number {
  const length = decoder.readVarInt();
  if (length !== -1) decoder.offset += length;
  return length;
}

/** Moves past the header section with the reads readHeaders makes, creating nothing. */
function skipHeaders(decoder: KafkajsDecoder): void {
  const count = decoder.readVarInt();
  // kafkajs makes `new Array(count)` first: a count below -1 (null) fails there.
  if (count < -1) throw new RangeError('Invalid array length');
  for (let i = 0; i < count; i++) {
    skipField(decoder);
    skipField(decoder);
  }
}

/** A record of numbers; its fields are made when read (see the top of this file). */
class LazyRecord implements DecodedRecord {
  readonly #timestampDelta: number | KafkajsLong;
  /** Where the record lies in the memory it shares with its batch, and its fields in it. */
  readonly #bytes: ArrayBufferLike;
  readonly #recordStart: number;
  readonly #recordLength: number;
  /** Where each field starts in the record and its length as read, -1 for null. */
  readonly #keyStart: number;
  readonly #keyLength: number;
  readonly #valueStart: number;
  readonly #valueLength: number;
  readonly #headersAt: number;
  #headers: Record<string, HeaderValue> | undefined;

  constructor(
    readonly magicByte: number | undefined,
    readonly attributes: number,
    timestampDelta: number | KafkajsLong,
    readonly offset: string,
    keyStart: number,
    keyLength: number,
    valueStart: number,
    valueLength: number,
    decoder: KafkajsDecoder,
    headersStart: number,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
  ) {
    this.#timestampDelta = timestampDelta;
    this.#bytes = decoder.buffer.buffer;
    this.#recordStart = decoder.buffer.byteOffset;
    this.#recordLength = decoder.buffer.length;
    this.#keyStart = keyStart;
    this.#keyLength = keyLength;
    this.#valueStart = valueStart;
    this.#valueLength = valueLength;
    this.#headersAt = headersStart;
  }

  /** The record's own view, as its decoder had it. */
  #record(): Buffer {
    return Buffer.from(this.#bytes, this.#recordStart, this.#recordLength);
  }

  /** A field's bytes as kafkajs' slice of the record gave them, cut short where the record is. */
  #field(start: number, length: number): Buffer | null {
    if (length === -1) return null;
    const end = start + length;
    if (0 <= start && start <= end && end <= this.#recordLength)
      return Buffer.from(this.#bytes, this.#recordStart + start, end - start);
    return this.#record().slice(start, end);
  }

  get key(): Buffer | null {
    return this.#field(this.#keyStart, this.#keyLength);
  }

  get value(): Buffer | null {
    return this.#field(this.#valueStart, this.#valueLength);
  }

  get timestamp(): string {
    const { firstTimestamp, timestampType, maxTimestamp } = this.batchContext;
    return timestampType === LOG_APPEND_TIME && maxTimestamp
      ? maxTimestamp
      : addToDecimal(firstTimestamp, this.#timestampDelta);
  }

  get headers(): Record<string, HeaderValue> {
    if (this.#headers === undefined) {
      // A section cut short reads as it read then.
      const decoder = new Decoder(this.#record());
      decoder.offset = this.#headersAt;
      this.#headers = readHeaders(decoder);
    }
    return this.#headers;
  }
}

export function decodeRecord(decoder: KafkajsDecoder, batchContext: BatchContext = {}): DecodedRecord {
  const { firstOffset, magicByte, isControlBatch = false } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readShortVarLong(decoder) ?? decoder.readVarLong();
  const offset = addToDecimal(firstOffset, decoder.readVarInt());
  const keyLength = skipField(decoder);
  const keyStart = decoder.offset - keyLength;
  const valueLength = skipField(decoder);
  const valueStart = decoder.offset - valueLength;
  const headersStart = decoder.offset;
  skipHeaders(decoder);
  return new LazyRecord(
    magicByte,
    attributes,
    timestampDelta,
    offset,
    keyStart,
    keyLength,
    valueStart,
    valueLength,
    decoder,
    headersStart,
    isControlBatch,
    batchContext,
  );
}

/**
 * Puts decodeRecord in the module cache under kafkajs' record decoder, so that kafkajs' batch
 * decoder takes it when it loads. False, and kafkajs left as it is, when the installed kafkajs is
 * another version or its batch decoder was loaded already.
 */
export function installRecordDecoder(): boolean {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION) return false;
  if (require.cache[require.resolve(BATCH_DECODER)]) return false;
  const recordDecoder = require.resolve(RECORD_DECODER);
  const entry = new Module(recordDecoder);
  entry.filename = recordDecoder;
  entry.exports = decodeRecord;
  entry.loaded = true;
  require.cache[recordDecoder] = entry;
  return true;
}

/** kafkajs, loaded after decodeRecord was put in its place (where it could be). */
export function loadKafkajs(): { kafkajs: typeof import('kafkajs'); fastRecords: boolean } {
  const fastRecords = installRecordDecoder();
  return { kafkajs: require('kafkajs') as typeof import('kafkajs'), fastRecords };
}
