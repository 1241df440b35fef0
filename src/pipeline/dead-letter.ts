// The dead-letter topic: the original key and value of an event that can never be written, with
// headers that say why and where it came from, so it can be inspected and replayed.
//
// A letter the topic refuses as too large (its max.message.bytes, 1 MB by default, is below the
// event's size) is written without its value, and if need be without its key, with a header
// saying so: the source topic, partition and offset headers point to the original, which Kafka
// still holds. Retrying the same bytes could never succeed, and skipping the letter would lose the
// only trace of the failure.
import type { RawRecord } from '../decoder/types.js';
import { MessageTooLargeError, type KafkaProducer, type OutgoingMessage } from '../kafka/client.js';

export interface DeadLetter {
  readonly record: RawRecord;
  readonly error: Error;
  readonly sink: string;
  /** The index or collection a write or truncate failed in (a table may have several); none for an undecodable record. */
  readonly target?: string;
}

export const DEAD_LETTER_HEADERS = {
  errorClass: 'cdc-fanout.error.class',
  errorMessage: 'cdc-fanout.error.message',
  sink: 'cdc-fanout.sink',
  /** The index or collection, when the failure was a write or a truncate. */
  target: 'cdc-fanout.target',
  topic: 'cdc-fanout.source.topic',
  partition: 'cdc-fanout.source.partition',
  offset: 'cdc-fanout.source.offset',
  /** Present only when the value was left out because the dead-letter topic refused its size. */
  valueOmitted: 'cdc-fanout.value.omitted',
  /** Present only when the key was left out too, for the same reason. */
  keyOmitted: 'cdc-fanout.key.omitted',
} as const;

const MAX_MESSAGE_LENGTH = 2000;

/**
 * Letters are produced in requests of at most this many bytes: the broker applies
 * max.message.bytes to a whole record batch, so several letters together could be refused where
 * each alone fits. Below the broker's 1 MB default.
 */
export const SEND_BATCH_BYTES = 512 * 1024;

export function toDeadLetterMessage(letter: DeadLetter): OutgoingMessage {
  return {
    key: letter.record.key,
    value: letter.record.value,
    headers: {
      [DEAD_LETTER_HEADERS.errorClass]: letter.error.name,
      [DEAD_LETTER_HEADERS.errorMessage]: letter.error.message.slice(0, MAX_MESSAGE_LENGTH),
      [DEAD_LETTER_HEADERS.sink]: letter.sink,
      [DEAD_LETTER_HEADERS.topic]: letter.record.topic,
      [DEAD_LETTER_HEADERS.partition]: String(letter.record.partition),
      [DEAD_LETTER_HEADERS.offset]: letter.record.offset,
      ...(letter.target === undefined ? {} : { [DEAD_LETTER_HEADERS.target]: letter.target }),
    },
  };
}

function messageBytes(message: OutgoingMessage): number {
  let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers))
    bytes += name.length + Buffer.byteLength(value);
  return bytes;
}

/** Consecutive groups of messages of at most maxBytes together; a larger message goes alone. */
export function groupBySize(messages: readonly OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const groups: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function omitted(what: string, bytes: number, topic: string, error: MessageTooLargeError): string {
  return `${what} of ${bytes} bytes omitted: the dead-letter topic ${topic} refused the record as too large (${error.message}); read the original at the source topic, partition and offset`;
}

/** The letter without its value (first) or without its key and value (second). */
export function withoutPayload(
  message: OutgoingMessage,
  topic: string,
  error: MessageTooLargeError,
): OutgoingMessage {
  if (message.value !== null && !(DEAD_LETTER_HEADERS.valueOmitted in message.headers)) {
    return {
      key: message.key,
      value: null,
      headers: {
        ...message.headers,
        [DEAD_LETTER_HEADERS.valueOmitted]: omitted('value', message.value.length, topic, error),
      },
    };
  }
  return {
    key: null,
    value: null,
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.keyOmitted]: omitted('key', message.key?.length ?? 0, topic, error),
    },
  };
}

/** A letter written without its value (or key) because the dead-letter topic refused its size. */
export interface OmittedPayload {
  /** What was written: the letter with the omitted header(s). */
  readonly message: OutgoingMessage;
  /** The original value's size in bytes. */
  readonly valueBytes: number;
}

export class DeadLetterTopic {
  constructor(
    private readonly producer: KafkaProducer,
    readonly topic: string,
  ) {}

  /**
   * Resolves once the broker acknowledged every letter; only then may the offsets move. Answers
   * the letters written without their value (or key) because the topic refused their size.
   */
  async send(letters: readonly DeadLetter[]): Promise<OmittedPayload[]> {
    const stripped: OmittedPayload[] = [];
    for (const group of groupBySize(letters.map(toDeadLetterMessage), SEND_BATCH_BYTES)) {
      if (group.length === 1) {
        await this.sendAlone(group[0]!, stripped);
        continue;
      }
      try {
        await this.producer.send(this.topic, group);
      } catch (error) {
        if (!(error instanceof MessageTooLargeError)) throw error;
        // Some partitions of the request may have been written: sending them again duplicates a
        // letter, which at-least-once allows; losing one it does not.
        for (const message of group) await this.sendAlone(message, stripped);
      }
    }
    return stripped;
  }

  private async sendAlone(message: OutgoingMessage, stripped: OmittedPayload[]): Promise<void> {
    let current = message;
    for (;;) {
      try {
        await this.producer.send(this.topic, [current]);
        break;
      } catch (error) {
        // Refused with neither key nor value: the topic is misconfigured (max.message.bytes below
        // the headers). Thrown, so the pipeline retries and reports not-ready, never skips it.
        if (!(error instanceof MessageTooLargeError) || (current.key === null && current.value === null))
          throw error;
        current = withoutPayload(current, this.topic, error);
      }
    }
    if (current !== message) stripped.push({ message: current, valueBytes: message.value?.length ?? 0 });
  }
}
