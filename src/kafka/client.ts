// The seam between the pipeline and a Kafka client library. It is deliberately small so that
// another client (librdkafka-based, @platformatic/kafka) can be dropped in and measured.
import type { RawRecord } from '../decoder/types.js';
import { CdcFanoutError } from '../errors.js';

export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RawRecord[];
  /** Offset the partition's next produced record will get, for the lag gauge. */
  readonly highWatermark: string;
}

export interface BatchControl {
  /** Keeps the group membership alive during long writes and retries. */
  heartbeat(): Promise<void>;
  /** False once this batch's partition may have moved to another member or the consumer stops. */
  isActive(): boolean;
  /**
   * Commits the batch: every record in it is written or dead-lettered. Never called before.
   * May resolve once the commit is sent rather than acknowledged, so the next batch overlaps its
   * round trip; a partition's commits still go out in order, and disconnect() waits for them.
   */
  commit(): Promise<void>;
}

export type BatchHandler = (batch: ConsumedBatch, control: BatchControl) => Promise<void>;

export interface ConsumerEvents {
  onGroupJoin(): void;
  onRebalancing(): void;
  onCrash(error: Error, willRestart: boolean): void;
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void>;
  run(handler: BatchHandler, events: ConsumerEvents): Promise<void>;
  /** Stops fetching and waits for the batch in hand to finish, then leaves the group. */
  disconnect(): Promise<void>;
}

export interface OutgoingMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The broker refused a record (batch) as larger than the topic's max.message.bytes: sending the
 * same bytes again can never succeed.
 */
export class MessageTooLargeError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/** The batch's partition may belong to another member now: its offsets are not committed here. */
export class PartitionRevokedError extends CdcFanoutError {
  constructor(topic: string, partition: number) {
    super(`${topic}/${partition} was reassigned while its batch was handled; not committed`, {
      retriable: true,
    });
  }
}

export interface KafkaProducer {
  connect(): Promise<void>;
  /**
   * Resolves once every message is acknowledged by the broker (acks=all). Throws
   * MessageTooLargeError when the broker refuses them as too large.
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** How much one consumer's fetches may hold: one sink's, where it differs from the client's. */
export interface FetchSizes {
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
}

export interface KafkaClient {
  consumer(groupId: string, fetch?: FetchSizes): KafkaConsumer;
  producer(): KafkaProducer;
  listTopics(): Promise<string[]>;
}
