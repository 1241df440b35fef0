// The kafkajs adapter recognises the broker's "too large" refusal however kafkajs wraps it, so the
// dead-letter topic can write the letter without its value instead of retrying the same bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { tooLargeError } from '../../../src/kafka/kafkajs.js';

const { KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: `${type} from the broker` } as never);

describe('tooLargeError', () => {
  test('MESSAGE_TOO_LARGE and RECORD_LIST_TOO_LARGE, bare or wrapped', () => {
    assert.equal(tooLargeError(protocolError('MESSAGE_TOO_LARGE', 10))?.type, 'MESSAGE_TOO_LARGE');
    assert.equal(tooLargeError(protocolError('RECORD_LIST_TOO_LARGE', 18))?.type, 'RECORD_LIST_TOO_LARGE');
    // As kafkajs' retrier wraps what it gives up on (retry/index.js).
    const inner = protocolError('MESSAGE_TOO_LARGE', 10);
    const wrapped = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(
      inner,
      { cause: inner },
    );
    assert.equal(tooLargeError(wrapped)?.type, 'MESSAGE_TOO_LARGE');
    assert.equal(
      tooLargeError({ errors: [new Error('x'), protocolError('MESSAGE_TOO_LARGE', 10)] })?.type,
      'MESSAGE_TOO_LARGE',
    );
  });

  test('other failures are not', () => {
    assert.equal(tooLargeError(protocolError('NOT_LEADER_FOR_PARTITION', 6)), null);
    assert.equal(tooLargeError(new Error('Connection error: ECONNREFUSED')), null);
    assert.equal(tooLargeError(null), null);
    assert.equal(tooLargeError('MESSAGE_TOO_LARGE'), null);
  });
});
