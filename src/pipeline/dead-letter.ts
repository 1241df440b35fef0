// The dead-letter topic: the original key and value of an event that can never be written, with
// headers that say why and where it came from, so it can be inspected and replayed.
import type { RawRecord } from '../decoder/types.js';
import type { KafkaProducer, OutgoingMessage } from '../kafka/client.js';

export interface DeadLetter {
  readonly record: RawRecord;
  readonly error: Error;
  readonly sink: string;
}

export const DEAD_LETTER_HEADERS = {
  errorClass: 'cdc-fanout.error.class',
  errorMessage: 'cdc-fanout.error.message',
  sink: 'cdc-fanout.sink',
  topic: 'cdc-fanout.source.topic',
  partition: 'cdc-fanout.source.partition',
  offset: 'cdc-fanout.source.offset',
} as const;

const MAX_MESSAGE_LENGTH = 2000;

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
    },
  };
}

export class DeadLetterTopic {
  constructor(
    private readonly producer: KafkaProducer,
    readonly topic: string,
  ) {}

  /** Resolves once the broker acknowledged every letter; only then may the offsets move. */
  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length > 0) await this.producer.send(this.topic, letters.map(toDeadLetterMessage));
  }
}
