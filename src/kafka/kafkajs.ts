// kafkajs behind the KafkaClient seam. Auto-commit is off: offsets move only through
// BatchControl.commit, after the sink acknowledged the batch.
import type { Consumer, Kafka as KafkajsKafka, KafkaMessage, LogEntry } from 'kafkajs';
import type { RawRecord } from '../decoder/types.js';
import type { Logger } from 'pino';
import type {
  BatchHandler,
  ConsumerEvents,
  KafkaClient,
  KafkaConsumer,
  KafkaProducer,
  OutgoingMessage,
} from './client.js';
import { CommitQueue } from './commits.js';
import { errorMessage } from '../errors.js';
import { MessageTooLargeError, PartitionRevokedError } from './client.js';
import { PartitionLookahead } from './lookahead.js';
import { loadKafkajs } from './kafkajs-records.js';

const {
  kafkajs: { Kafka, logLevel: KafkaLogLevel },
  fastRecords,
} = loadKafkajs();

/**
 * A record as the pipeline reads it. Its key and value are read from kafkajs' record when asked
 * for, not copied here: with kafkajs-records.ts installed, each read makes a view that dies with
 * its use, where one kept here would live until the batch is committed (see that file).
 */
class ConsumedRecord implements RawRecord {
  readonly offset: string;
  readonly #message: KafkaMessage;

  constructor(
    readonly topic: string,
    readonly partition: number,
    message: KafkaMessage,
  ) {
    this.offset = message.offset;
    this.#message = message;
  }

  get key(): Buffer | null {
    return this.#message.key;
  }

  get value(): Buffer | null {
    return this.#message.value;
  }
}

export interface KafkajsOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
  readonly partitionsConcurrency: number;
  /** KAFKA_FETCH_AHEAD: the next fetch overlaps the batch in hand (see lookahead.ts). */
  readonly fetchAhead: boolean;
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
  readonly maxWaitMs: number;
  readonly logger: Logger;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** Routes kafkajs' own log lines into our pino logger, so that every line is JSON. */
function pinoLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // kafkajs reports every retried request at error level; our own retry logging says it better.
      const target = LEVELS[level] === 'error' ? 'warn' : (LEVELS[level] ?? 'info');
      child[target](extra, message);
    };
}

/** The commit function kafkajs hands each batch: it commits straight through the group member. */
type DirectCommit = (offsets: {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}) => Promise<void>;

class KafkajsConsumer implements KafkaConsumer {
  private readonly commits: CommitQueue;
  /**
   * Set once disconnect() began: kafkajs then says it is not running, yet the member keeps its
   * partitions until the batch in hand finished and it left the group, so that batch may finish.
   */
  private leaving = false;
  /**
   * consumer.commitOffsets() returns without committing once kafkajs stopped its run loop (at
   * shutdown, while the last batch is still being written), so that batch was written and then
   * replayed. The batch's own commit function has no such check: the member commits until it leaves.
   */
  private commitDirect: DirectCommit | null = null;
  private readonly lookahead = new PartitionLookahead((topic, partition, from) =>
    this.seek(topic, partition, from),
  );
  /** Counts group rejoins: a batch started before the last one may no longer be ours. */
  private generation = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly partitionsConcurrency: number,
    private readonly fetchAhead: boolean,
    private readonly logger: Logger,
  ) {
    this.commits = new CommitQueue(
      (topic, partition, offset) => {
        if (!this.commitDirect) throw new Error('no batch was consumed yet: nothing to commit');
        return this.commitDirect({ topics: [{ topic, partitions: [{ partition, offset }] }] });
      },
      (error, topic, partition, offset) =>
        logger.warn(
          { topic, partition, offset, error: errorMessage(error) },
          'offset commit failed; the next commit of the partition supersedes it',
        ),
    );
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void> {
    await this.consumer.subscribe({ topics: [...topics], fromBeginning });
  }

  async run(handler: BatchHandler, events: ConsumerEvents): Promise<void> {
    const { GROUP_JOIN, REBALANCING, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, () => {
      this.generation++;
      events.onGroupJoin();
    });
    this.consumer.on(REBALANCING, () => {
      this.generation++;
      events.onRebalancing();
    });
    this.consumer.on(CRASH, ({ payload }) => events.onCrash(payload.error, payload.restart));
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.partitionsConcurrency,
      eachBatch: async ({
        batch,
        heartbeat,
        isRunning,
        isStale,
        resolveOffset,
        commitOffsetsIfNecessary,
      }) => {
        if (batch.isEmpty()) return;
        const { topic, partition } = batch;
        const firstOffset = batch.messages[0]!.offset;
        const failed = await this.lookahead.settle(topic, partition, firstOffset);
        if (failed) {
          // Thrown as the failed batch's handler would have: kafkajs backs off, then reads again.
          this.seek(topic, partition, failed.refetchFrom);
          throw failed.error;
        }
        if (this.leaving || !isRunning()) {
          // Left unresolved: whoever reads the partition next starts from its committed offset.
          await this.lookahead.drain();
          return;
        }
        this.commitDirect = commitOffsetsIfNecessary as DirectCommit;
        const generation = this.generation;
        // A rejoin may happen while the batch is still being handled: its partition may have
        // moved to another member, so the batch stops retrying and commits nothing.
        const isActive = () => (isRunning() || this.leaving) && !isStale() && generation === this.generation;
        const records = batch.messages.map((message) => new ConsumedRecord(topic, partition, message));
        const handling = handler(
          { topic, partition, records, highWatermark: batch.highWatermark },
          {
            heartbeat,
            isActive,
            commit: async () => {
              if (!isActive()) throw new PartitionRevokedError(topic, partition);
              // Sent now, acknowledged while the next batch is fetched and written.
              await this.commits.commit(topic, partition, (BigInt(batch.lastOffset()) + 1n).toString());
            },
          },
        );
        if (!this.fetchAhead) {
          // Resolved only once handled: a failed batch is read again from its first offset.
          await handling;
          resolveOffset(batch.lastOffset());
          return;
        }
        this.lookahead.start(topic, partition, firstOffset, handling);
        // The next fetch reads past this batch while it is being written.
        resolveOffset(batch.lastOffset());
      },
    });
  }

  /** Reads the partition again from `offset` on the next fetch (no commit: auto-commit is off). */
  private seek(topic: string, partition: number, offset: string): void {
    try {
      this.consumer.seek({ topic, partition, offset });
    } catch (error) {
      // Only before run() or after the consumer stopped: its next run starts from the committed offsets.
      this.logger.warn({ topic, partition, offset, error: errorMessage(error) }, 'seek refused');
    }
  }

  /**
   * The batches in hand are finished and the commits still on their way awaited (later ones made
   * synchronous) before leaving.
   */
  async disconnect(): Promise<void> {
    this.leaving = true;
    await this.lookahead.drain();
    await this.commits.drain();
    await this.consumer.disconnect();
  }
}

/** Broker error types that mean "these bytes are over the size limit": resending cannot help. */
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** The too-large protocol error inside what kafkajs threw (it may wrap it), or null. */
export function tooLargeError(error: unknown, depth = 0): { type: string; message: string } | null {
  if (!error || typeof error !== 'object' || depth > 5) return null;
  const { type, message, cause, errors } = error as {
    type?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof type === 'string' && TOO_LARGE_TYPES.has(type)) return { type, message: String(message) };
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = tooLargeError(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

class KafkajsProducer implements KafkaProducer {
  constructor(private readonly producer: ReturnType<KafkajsKafka['producer']>) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    try {
      await this.producer.send({
        topic,
        acks: -1,
        messages: messages.map((message) => ({
          key: message.key,
          value: message.value,
          headers: { ...message.headers },
        })),
      });
    } catch (error) {
      const tooLarge = tooLargeError(error);
      if (!tooLarge) throw error;
      throw new MessageTooLargeError(
        `${topic} refused the records (${tooLarge.type}): ${tooLarge.message}`,
        error,
      );
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

export function createKafkajsClient(options: KafkajsOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
    // Reconnects are ours to make: the pipeline's own retry keeps going however long it takes.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  if (!fastRecords)
    options.logger.info(
      "kafkajs decodes records with its own decoder (kafkajs-records.ts's was not installed)",
    );
  return {
    consumer: (groupId, fetch) =>
      new KafkajsConsumer(
        kafka.consumer({
          groupId,
          sessionTimeout: options.sessionTimeoutMs,
          heartbeatInterval: Math.max(1000, Math.floor(options.sessionTimeoutMs / 10)),
          maxBytesPerPartition: fetch?.maxBytesPerPartition ?? options.maxBytesPerPartition,
          maxBytes: fetch?.maxBytes ?? options.maxBytes,
          maxWaitTimeInMs: options.maxWaitMs,
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
        }),
        options.partitionsConcurrency,
        options.fetchAhead,
        options.logger.child({ component: 'kafka-consumer', group: groupId }),
      ),
    producer: () => new KafkajsProducer(kafka.producer({ idempotent: true, maxInFlightRequests: 1 })),
    listTopics: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    },
  };
}
