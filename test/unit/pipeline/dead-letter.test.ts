import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEAD_LETTER_HEADERS,
  DeadLetterTopic,
  SEND_BATCH_BYTES,
  toDeadLetterMessage,
  type DeadLetter,
} from '../../../src/pipeline/dead-letter.js';
import { MessageTooLargeError, type KafkaProducer, type OutgoingMessage } from '../../../src/kafka/client.js';
import { DecodeError, PermanentSinkError } from '../../../src/errors.js';

function letter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    record: {
      topic: 'cdc.public.orders',
      partition: 7,
      offset: '9007199254740993',
      key: Buffer.from('{"id":1}'),
      value: Buffer.from([0xff, 0x00, 0x7b, 0xfe]),
    },
    error: new PermanentSinkError('mapper_parsing_exception: failed to parse field [price]'),
    sink: 'elasticsearch',
    ...overrides,
  };
}

describe('toDeadLetterMessage', () => {
  test('keeps the original key and value bytes and names error, sink, topic, partition and offset', () => {
    const input = letter();
    const message = toDeadLetterMessage(input);
    assert.ok(message.key?.equals(Buffer.from('{"id":1}')));
    assert.ok(message.value?.equals(Buffer.from([0xff, 0x00, 0x7b, 0xfe])));
    assert.deepEqual(message.headers, {
      'cdc-fanout.error.class': 'PermanentSinkError',
      'cdc-fanout.error.message': 'mapper_parsing_exception: failed to parse field [price]',
      'cdc-fanout.sink': 'elasticsearch',
      'cdc-fanout.source.topic': 'cdc.public.orders',
      'cdc-fanout.source.partition': '7',
      'cdc-fanout.source.offset': '9007199254740993',
    });
  });

  test('header names are the documented ones', () => {
    assert.deepEqual(Object.values(DEAD_LETTER_HEADERS).sort(), [
      'cdc-fanout.error.class',
      'cdc-fanout.error.message',
      'cdc-fanout.key.omitted',
      'cdc-fanout.sink',
      'cdc-fanout.source.offset',
      'cdc-fanout.source.partition',
      'cdc-fanout.source.topic',
      'cdc-fanout.target',
      'cdc-fanout.value.omitted',
    ]);
  });

  test('a letter of a write names its target (index or collection): a table may have several', () => {
    const message = toDeadLetterMessage(letter({ target: 'customers_search' }));
    assert.equal(message.headers['cdc-fanout.target'], 'customers_search');
    assert.equal(Object.hasOwn(toDeadLetterMessage(letter()).headers, 'cdc-fanout.target'), false);
  });

  test('a null key and value (undecodable tombstone-like record) stay null', () => {
    const message = toDeadLetterMessage(
      letter({
        record: { topic: 't', partition: 0, offset: '0', key: null, value: null },
        error: new DecodeError('bad'),
        sink: 'mongodb',
      }),
    );
    assert.equal(message.key, null);
    assert.equal(message.value, null);
    assert.equal(message.headers['cdc-fanout.error.class'], 'DecodeError');
    assert.equal(message.headers['cdc-fanout.sink'], 'mongodb');
    assert.equal(message.headers['cdc-fanout.source.partition'], '0');
  });

  test('a long error message is truncated to 2000 characters', () => {
    const long = `${'x'.repeat(1999)}END${'y'.repeat(5000)}`;
    const message = toDeadLetterMessage(letter({ error: new Error(long) }));
    const header = message.headers['cdc-fanout.error.message']!;
    assert.equal(header.length, 2000);
    assert.equal(header, long.slice(0, 2000));
    assert.equal(message.headers['cdc-fanout.error.class'], 'Error');
  });

  test('a message of exactly 2000 characters is kept whole', () => {
    const exact = 'z'.repeat(2000);
    assert.equal(
      toDeadLetterMessage(letter({ error: new Error(exact) })).headers['cdc-fanout.error.message'],
      exact,
    );
  });
});

describe('DeadLetterTopic', () => {
  class FakeProducer implements KafkaProducer {
    sent: Array<{ topic: string; messages: readonly OutgoingMessage[] }> = [];
    async connect() {}
    async disconnect() {}
    async send(topic: string, messages: readonly OutgoingMessage[]) {
      this.sent.push({ topic, messages });
    }
  }

  test('sends every letter to the topic in one call, and nothing for none', async () => {
    const producer = new FakeProducer();
    const topic = new DeadLetterTopic(producer, 'cdc-fanout.dead-letter');
    await topic.send([]);
    assert.equal(producer.sent.length, 0);
    await topic.send([letter(), letter({ sink: 'mongodb' })]);
    assert.equal(producer.sent.length, 1);
    assert.equal(producer.sent[0]?.topic, 'cdc-fanout.dead-letter');
    assert.deepEqual(
      producer.sent[0]?.messages.map((m) => m.headers['cdc-fanout.sink']),
      ['elasticsearch', 'mongodb'],
    );
  });

  test('a producer failure propagates (the offsets must not move)', async () => {
    const producer = new FakeProducer();
    producer.send = async () => {
      throw new Error('broker down');
    };
    await assert.rejects(new DeadLetterTopic(producer, 'dl').send([letter()]), /broker down/);
  });

  /** A broker whose dead-letter topic takes records of at most maxBytes (key + value). */
  class LimitedProducer extends FakeProducer {
    attempts = 0;
    constructor(private readonly maxBytes: number) {
      super();
    }
    override async send(topic: string, messages: readonly OutgoingMessage[]) {
      this.attempts++;
      const bytes = messages.reduce((sum, m) => sum + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0);
      if (bytes > this.maxBytes) throw new MessageTooLargeError(`${topic} refused (MESSAGE_TOO_LARGE)`);
      this.sent.push({ topic, messages });
    }
  }

  const big = (bytes: number, offset = '42') =>
    letter({
      record: {
        topic: 'cdc.inventory.customers',
        partition: 1,
        offset,
        key: Buffer.from('{"id":7}'),
        value: Buffer.alloc(bytes, 0x61),
      },
      error: new PermanentSinkError('mongodb document too large: 17825792 bytes (limit 16777216)'),
      sink: 'mongodb',
    });

  test('a letter the topic refuses as too large is written once, without its value, saying so', async () => {
    const producer = new LimitedProducer(1024 * 1024);
    const omitted = await new DeadLetterTopic(producer, 'dl').send([big(2 * 1024 * 1024)]);
    assert.equal(producer.attempts, 2, 'one refused attempt, one without the value: no loop');
    assert.equal(producer.sent.length, 1);
    const [written] = producer.sent[0]!.messages;
    assert.equal(written?.value, null);
    assert.ok(written?.key?.equals(Buffer.from('{"id":7}')), 'the key is kept');
    assert.match(
      written?.headers['cdc-fanout.value.omitted'] ?? '',
      /value of 2097152 bytes omitted.*too large/,
    );
    assert.equal(written?.headers['cdc-fanout.key.omitted'], undefined);
    // The origin headers still point at the original record.
    assert.equal(written?.headers['cdc-fanout.source.topic'], 'cdc.inventory.customers');
    assert.equal(written?.headers['cdc-fanout.source.partition'], '1');
    assert.equal(written?.headers['cdc-fanout.source.offset'], '42');
    assert.match(written?.headers['cdc-fanout.error.message'] ?? '', /too large/);
    assert.deepEqual(
      omitted.map((entry) => entry.valueBytes),
      [2 * 1024 * 1024],
    );
  });

  test('a letter the topic accepts keeps its value, however large', async () => {
    const producer = new LimitedProducer(64 * 1024 * 1024);
    const omitted = await new DeadLetterTopic(producer, 'dl').send([big(17 * 1024 * 1024)]);
    assert.equal(omitted.length, 0);
    assert.equal(producer.sent[0]?.messages[0]?.value?.length, 17 * 1024 * 1024);
  });

  test('a key too large as well is omitted too; headers alone refused is an error, not a skip', async () => {
    const hugeKey = letter({
      record: {
        topic: 't',
        partition: 0,
        offset: '1',
        key: Buffer.alloc(4096, 0x6b),
        value: Buffer.alloc(4096, 0x76),
      },
    });
    const producer = new LimitedProducer(100);
    await new DeadLetterTopic(producer, 'dl').send([hugeKey]);
    const written = producer.sent[0]!.messages[0]!;
    assert.equal(written.key, null);
    assert.equal(written.value, null);
    assert.match(written.headers['cdc-fanout.value.omitted'] ?? '', /value of 4096 bytes/);
    assert.match(written.headers['cdc-fanout.key.omitted'] ?? '', /key of 4096 bytes/);

    const refusing = new FakeProducer();
    let attempts = 0;
    refusing.send = async () => {
      attempts++;
      throw new MessageTooLargeError('refused (MESSAGE_TOO_LARGE)');
    };
    await assert.rejects(new DeadLetterTopic(refusing, 'dl').send([hugeKey]), MessageTooLargeError);
    assert.equal(attempts, 3, 'whole, without value, without key: then it gives up this attempt');
  });

  test('letters are sent in requests of bounded size; a refused request is retried letter by letter', async () => {
    const small = (offset: string) =>
      letter({ record: { topic: 't', partition: 0, offset, key: null, value: Buffer.alloc(200 * 1024) } });
    const producer = new FakeProducer();
    await new DeadLetterTopic(producer, 'dl').send([small('1'), small('2'), small('3'), small('4')]);
    for (const { messages } of producer.sent) {
      const bytes = messages.reduce((sum, m) => sum + (m.value?.length ?? 0), 0);
      assert.ok(bytes <= SEND_BATCH_BYTES, `a request of ${bytes} bytes`);
    }
    assert.equal(producer.sent.length, 2);

    // Each letter fits alone, two together do not: every letter is written whole.
    const limited = new LimitedProducer(300 * 1024);
    const omitted = await new DeadLetterTopic(limited, 'dl').send([small('1'), small('2'), small('3')]);
    assert.equal(omitted.length, 0);
    const offsets = limited.sent.flatMap(({ messages }) =>
      messages.map((m) => [m.headers['cdc-fanout.source.offset'], m.value?.length]),
    );
    assert.deepEqual(offsets, [
      ['1', 200 * 1024],
      ['2', 200 * 1024],
      ['3', 200 * 1024],
    ]);
  });

  test('any other producer failure propagates unchanged, to be retried', async () => {
    const producer = new FakeProducer();
    producer.send = async () => {
      throw new Error('NOT_LEADER_FOR_PARTITION');
    };
    await assert.rejects(new DeadLetterTopic(producer, 'dl').send([big(2 * 1024 * 1024)]), /NOT_LEADER/);
  });
});
