// decodeRecord must return exactly what kafkajs' own record decoder returns, for any record:
// each case decodes the same bytes with both and compares the results and the bytes read.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import {
  decodeRecord,
  type BatchContext,
  type DecodedRecord,
  type KafkajsDecoder,
} from '../../../src/kafka/kafkajs-records.js';

const require = createRequire(import.meta.url);
type DecoderClass = new (buffer: Buffer) => KafkajsDecoder;
interface EncoderLike {
  buffer: Buffer;
  writeInt8(value: number): EncoderLike;
  writeVarLong(value: number | string | object): EncoderLike;
  writeVarInt(value: number): EncoderLike;
  writeVarIntBytes(value: Buffer | null): EncoderLike;
  writeVarIntArray(values: EncoderLike[]): EncoderLike;
}
const Decoder = require('kafkajs/src/protocol/decoder.js') as DecoderClass;
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => EncoderLike;
const Header = require('kafkajs/src/protocol/recordBatch/header/v0/index.js') as (header: {
  key: string;
  value: Buffer | null;
}) => EncoderLike;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: string): object };
// Nothing in this process installed decodeRecord: this is kafkajs' own.
const kafkajsDecodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (
  decoder: KafkajsDecoder,
  context?: BatchContext,
) => unknown;
const { CREATE_TIME, LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as Record<
  string,
  number
>;

interface RecordSpec {
  readonly timestampDelta?: number | string;
  readonly offsetDelta?: number;
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
  readonly headers?: ReadonlyArray<readonly [string, Buffer | null]>;
}

/** One record's bytes as a batch holds them, after its length prefix. */
function recordBytes(spec: RecordSpec): Buffer {
  const delta = spec.timestampDelta ?? 0;
  return new Encoder()
    .writeInt8(0)
    .writeVarLong(typeof delta === 'string' ? Long.fromValue(delta) : delta)
    .writeVarInt(spec.offsetDelta ?? 0)
    .writeVarIntBytes(spec.key === undefined ? Buffer.from('k') : spec.key)
    .writeVarIntBytes(spec.value === undefined ? Buffer.from('{"v":1}') : spec.value)
    .writeVarIntArray((spec.headers ?? []).map(([key, value]) => Header({ key, value }))).buffer;
}

/** A record's fields as a reader sees them (ours makes two of them on first read, as getters). */
function asRead(record: DecodedRecord): DecodedRecord {
  const { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } =
    record;
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext };
}

function outcome(decode: typeof kafkajsDecodeRecord, bytes: Buffer, context?: BatchContext) {
  const decoder = new Decoder(bytes);
  try {
    const record = decode(decoder, context) as DecodedRecord;
    return { read: decoder.offset, record: asRead(record) };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

function assertSameAsKafkajs(spec: RecordSpec, context?: BatchContext): void {
  const bytes = recordBytes(spec);
  const ours = outcome(decodeRecord, bytes, context);
  const theirs = outcome(kafkajsDecodeRecord, bytes, context);
  assert.deepStrictEqual(ours, theirs);
  if ('record' in ours && 'record' in theirs) {
    const headers = (record: unknown) => (record as { headers: object }).headers;
    assert.equal(Object.getPrototypeOf(headers(ours.record)), Object.getPrototypeOf(headers(theirs.record)));
    assert.deepStrictEqual(Object.keys(headers(ours.record)), Object.keys(headers(theirs.record)));
  }
}

const NOW = '1796530850833';
const context = (overrides: Partial<BatchContext> = {}): BatchContext => ({
  firstOffset: '1234567',
  firstTimestamp: NOW,
  magicByte: 2,
  isControlBatch: false,
  timestampType: CREATE_TIME,
  maxTimestamp: '1796530851000',
  ...overrides,
});

describe("decodeRecord against kafkajs' record decoder", () => {
  test('a Debezium record: its three context headers, key and value', () => {
    const record = decodeRecord(
      new Decoder(
        recordBytes({
          timestampDelta: 12,
          offsetDelta: 7,
          headers: [
            ['__debezium.context.connectorLogicalName', Buffer.from('bench')],
            ['__debezium.context.taskId', Buffer.from('0')],
            ['__debezium.context.connectorName', Buffer.from('postgresql')],
          ],
        }),
      ),
      context(),
    );
    assert.equal(record.offset, '1234574');
    assert.equal(record.timestamp, '1796530850845');
    assert.deepEqual(Object.keys(record.headers), [
      '__debezium.context.connectorLogicalName',
      '__debezium.context.taskId',
      '__debezium.context.connectorName',
    ]);
    assertSameAsKafkajs(
      { timestampDelta: 12, offsetDelta: 7, headers: [['a', Buffer.from('b')]] },
      context(),
    );
  });

  test('offsets and timestamps at and past 2^53, up to the int64 limits, stay exact', () => {
    for (const firstOffset of ['0', '9007199254740990', '9007199254740991', '9223372036854775000'])
      for (const offsetDelta of [0, 1, 2, 775, 2_147_483_647])
        assertSameAsKafkajs({ offsetDelta }, context({ firstOffset }));
    for (const firstTimestamp of [
      '-1',
      '0',
      NOW,
      '9007199254740991',
      '-9007199254740991',
      '-9223372036854775808',
    ])
      for (const timestampDelta of [0, 1, -1, 300_000, -300_000])
        assertSameAsKafkajs({ timestampDelta }, context({ firstTimestamp }));
    assert.equal(
      decodeRecord(new Decoder(recordBytes({ offsetDelta: 2 })), context({ firstOffset: '9007199254740991' }))
        .offset,
      '9007199254740993',
    );
  });

  test('timestamp deltas of every varlong length, the longest through the Long path', () => {
    const deltas = [
      '63',
      '-64',
      '8191',
      '1048575',
      '-134217728',
      '17179869183',
      '2199023255551',
      '-281474976710656',
    ];
    deltas.push('281474976710655', '36028797018963967', '-4611686018427387904', '9223372036854775807');
    for (const timestampDelta of deltas) assertSameAsKafkajs({ timestampDelta }, context());
  });

  test('log-append time takes the batch maximum; a control batch marks its records', () => {
    assertSameAsKafkajs({ timestampDelta: 5 }, context({ timestampType: LOG_APPEND_TIME }));
    assertSameAsKafkajs({ timestampDelta: 5 }, context({ timestampType: LOG_APPEND_TIME, maxTimestamp: '' }));
    assertSameAsKafkajs({}, context({ isControlBatch: true }));
  });

  test('null key and value, null and empty header values', () => {
    assertSameAsKafkajs({ key: null, value: null }, context());
    assertSameAsKafkajs(
      {
        key: Buffer.alloc(0),
        value: Buffer.alloc(0),
        headers: [
          ['h', null],
          ['e', Buffer.alloc(0)],
        ],
      },
      context(),
    );
  });

  test('a repeated header key collects its values in order; inherited names are read as kafkajs reads them', () => {
    const x = Buffer.from('x');
    assertSameAsKafkajs(
      {
        headers: [
          ['a', x],
          ['b', x],
          ['a', Buffer.from('y')],
          ['a', null],
          ['b', x],
        ],
      },
      context(),
    );
    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'])
      assertSameAsKafkajs(
        {
          headers: [
            [name, x],
            ['n', x],
            [name, Buffer.from('z')],
          ],
        },
        context(),
      );
    const record = decodeRecord(new Decoder(recordBytes({ headers: [['__proto__', x]] })), context());
    assert.equal(Object.getPrototypeOf(record.headers), Object.prototype);
    assert.ok(Object.hasOwn(record.headers, '__proto__'));
  });

  test('header names of the same length and more names than are remembered are each read right', () => {
    const names = Array.from({ length: 40 }, (_, i) => `name-${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 3; round++)
      assertSameAsKafkajs({ headers: names.map((name) => [name, Buffer.from(name)] as const) }, context());
    assertSameAsKafkajs(
      {
        headers: [
          ['ab', null],
          ['ac', null],
          ['ab', null],
          ['é', null],
          ['\u00e9', null],
        ],
      },
      context(),
    );
  });

  test('a record decoded without a batch context fails or decodes as kafkajs does', () => {
    assertSameAsKafkajs({ offsetDelta: 3 });
  });

  test('fields read late, from records that share one buffer at an offset, are each record’s own', () => {
    const specs: RecordSpec[] = [
      { timestampDelta: 5, offsetDelta: 1, headers: [['a', Buffer.from('first')]] },
      {
        timestampDelta: 9,
        offsetDelta: 2,
        headers: [
          ['a', Buffer.from('second')],
          ['b', null],
        ],
      },
    ];
    const parts = specs.map(recordBytes);
    // A batch's records are views into one fetched buffer, none of them at its start.
    const shared = Buffer.concat([Buffer.from('padding'), ...parts]);
    let at = 'padding'.length;
    const views = parts.map((part) => shared.subarray(at, (at += part.length)));
    const ours = views.map((view) => decodeRecord(new Decoder(view), context()));
    views.forEach((view, index) => {
      const theirs = kafkajsDecodeRecord(new Decoder(Buffer.from(view)), context()) as DecodedRecord;
      assert.deepStrictEqual(asRead(ours[index]!), theirs);
    });
    assert.equal(ours[0]!.headers, ours[0]!.headers, 'one headers object, as a plain property would be');
  });

  test('a record cut short anywhere fails, or is read, where kafkajs’ fails or reads', () => {
    const whole = recordBytes({ key: Buffer.from('key'), headers: [['name', Buffer.from('value')]] });
    for (let cut = 1; cut < whole.length; cut++) {
      const bytes = whole.subarray(0, whole.length - cut);
      assert.deepStrictEqual(
        outcome(decodeRecord, bytes, context()),
        outcome(kafkajsDecodeRecord, bytes, context()),
        `cut ${cut}`,
      );
    }
  });

  test('negative field lengths other than null’s move the decoder as in kafkajs, and read as its slices read', () => {
    for (const keyLength of [-2, -3, -7])
      for (const valueLength of [-1, -2, 0, 3]) {
        const bytes = Buffer.concat([
          new Encoder().writeInt8(0).writeVarLong(0).writeVarInt(0).writeVarInt(keyLength).buffer,
          Buffer.from('abcdef'),
          new Encoder().writeVarInt(valueLength).buffer,
          Buffer.from('ghijkl'),
          new Encoder().writeVarInt(0).buffer,
        ]);
        assert.deepStrictEqual(
          outcome(decodeRecord, bytes, context()),
          outcome(kafkajsDecodeRecord, bytes, context()),
          `key length ${keyLength}, value length ${valueLength}`,
        );
      }
  });

  test('500 records of random shape', () => {
    let seed = 20261206;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const names = ['a', 'b', '__debezium.context.taskId', '__proto__', 'toString', 'ünïcode', ''];
    for (let i = 0; i < 500; i++) {
      const headers = Array.from({ length: Math.floor(random() * 5) }, () => {
        const value = random() < 0.1 ? null : Buffer.from(String(random()));
        return [pick(names), value] as const;
      });
      const timestampDelta = pick([0, 1, -7, 65_535, -(2 ** 40), 2 ** 48 + 1, '-9223372036854775807']);
      const spec = { timestampDelta, offsetDelta: Math.floor(random() * 100_000), headers };
      const firstOffset = pick(['0', '42', '9007199254700000', '9223372036854700000']);
      assertSameAsKafkajs(
        spec,
        context({ firstOffset, timestampType: pick([CREATE_TIME, LOG_APPEND_TIME]) }),
      );
    }
  });
});
