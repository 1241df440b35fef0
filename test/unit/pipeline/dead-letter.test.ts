import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEAD_LETTER_HEADERS,
  DeadLetterTopic,
  toDeadLetterMessage,
  type DeadLetter,
} from '../../../src/pipeline/dead-letter.js';
import type { KafkaProducer, OutgoingMessage } from '../../../src/kafka/client.js';
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
      'cdc-fanout.sink',
      'cdc-fanout.source.offset',
      'cdc-fanout.source.partition',
      'cdc-fanout.source.topic',
    ]);
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
});
