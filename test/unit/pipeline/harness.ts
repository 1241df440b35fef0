// Drives a SinkPipeline through batches by hand: a fake consumer hands the pipeline's batch
// handler the records a test makes, a scripted sink answers each write, and the commits, dead
// letters and log lines are recorded, so a test states only the failure it is about.
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { TableOverrides, TruncateMode } from '../../../src/config/tables.js';
import type { RawRecord } from '../../../src/decoder/types.js';
import type { BatchControl, BatchHandler, ConsumerEvents, KafkaConsumer } from '../../../src/kafka/client.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import type { DeadLetter, DeadLetterTopic } from '../../../src/pipeline/dead-letter.js';
import { SinkPipeline } from '../../../src/pipeline/sink-pipeline.js';
import type { WriterSchemaCache } from '../../../src/registry/writer-schemas.js';
import { Router } from '../../../src/router/router.js';
import type { Sink, SinkOp, SinkOpResult, TruncateMark } from '../../../src/sinks/sink.js';
import { message, source } from '../decoder/helpers.js';

export class FakeConsumer implements KafkaConsumer {
  handler: BatchHandler | null = null;
  events: ConsumerEvents | null = null;
  disconnects = 0;
  connect = async () => undefined;
  subscribe = async () => undefined;
  run = async (handler: BatchHandler, events: ConsumerEvents) => {
    this.handler = handler;
    this.events = events;
  };
  disconnect = async () => {
    this.disconnects++;
  };
}

/** Answers each write with what `answer` says for it (call number from 1, the operations). */
export class ScriptedSink implements Sink {
  readonly name = 'elasticsearch' as const;
  readonly writes: SinkOp[][] = [];
  constructor(private readonly answer: (call: number, ops: readonly SinkOp[]) => SinkOpResult[]) {}
  connect = async () => undefined;
  ping = async () => true;
  close = async () => undefined;
  truncate = async (_target: string, _mark: TruncateMark) => undefined;
  truncateMarks = async (_targets: readonly string[]) => new Map<string, TruncateMark>();
  async write(ops: readonly SinkOp[]): Promise<SinkOpResult[]> {
    this.writes.push([...ops]);
    return this.answer(this.writes.length, ops);
  }
}

export class RecordingDeadLetters {
  readonly letters: DeadLetter[] = [];
  async send(letters: readonly DeadLetter[]) {
    this.letters.push(...letters);
    return [];
  }
}

export interface Harness {
  readonly pipeline: SinkPipeline;
  readonly consumer: FakeConsumer;
  readonly metrics: Metrics;
  readonly logs: Array<{ level: number; msg: string; [field: string]: unknown }>;
  readonly commits: string[];
  /** Runs one batch of the records through the pipeline's handler. */
  batch(records: readonly RawRecord[]): Promise<void>;
}

export async function startHarness(
  sink: Sink,
  options: {
    deadLetters?: RecordingDeadLetters | null;
    onConsumerCrash?: () => void;
    stallTimeoutMs?: number;
    truncate?: TruncateMode;
    writerSchemas?: WriterSchemaCache;
    tables?: TableOverrides;
  } = {},
): Promise<Harness> {
  const logs: Harness['logs'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const consumer = new FakeConsumer();
  const metrics = createMetrics(new Registry());
  const router = new Router(
    {
      tables: options.tables ?? {},
      defaults: { decimal: 'string', truncate: options.truncate ?? 'ignore' },
      sinks: ['elasticsearch'],
      elasticsearch: { indexPrefix: '' },
    },
    'elasticsearch',
  );
  const pipeline = new SinkPipeline({
    sink,
    consumer,
    router,
    deadLetters:
      options.deadLetters === undefined ? null : (options.deadLetters as unknown as DeadLetterTopic),
    topics: ['cdc.inventory.things'],
    fromBeginning: true,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
    stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
    metrics,
    logger: pino({ level: 'debug' }, stream),
    ...(options.onConsumerCrash ? { onConsumerCrash: options.onConsumerCrash } : {}),
    ...(options.writerSchemas ? { writerSchemas: options.writerSchemas } : {}),
  });
  await pipeline.start();
  consumer.events!.onGroupJoin();
  const commits: string[] = [];
  return {
    pipeline,
    consumer,
    metrics,
    logs,
    commits,
    async batch(records) {
      const control: BatchControl = {
        heartbeat: async () => undefined,
        isActive: () => true,
        commit: async () => {
          commits.push(records[records.length - 1]!.offset);
        },
      };
      const last = records[records.length - 1]!;
      await consumer.handler!(
        {
          topic: last.topic,
          partition: last.partition,
          records,
          highWatermark: String(BigInt(last.offset) + 1n),
        },
        control,
      );
    },
  };
}

/** An insert of row `id` at `lsn`, as record `offset` of cdc.inventory.things. */
export function insert(id: number, lsn: number, offset: number): RawRecord {
  const record = message({ op: 'c', after: { id }, source: source({ lsn }) }, { key: { id } });
  return { ...record, partition: 0, offset: String(offset) };
}

/** A TRUNCATE of cdc.inventory.things at `lsn`, as record `offset` (Debezium sends it without a key). */
export function truncate(lsn: number, offset: number): RawRecord {
  const record = message({ op: 't', source: source({ lsn }) }, { key: null });
  return { ...record, partition: 0, offset: String(offset) };
}

/** A delete of row `id` at `lsn`, as record `offset` of cdc.inventory.things. */
export function remove(id: number, lsn: number, offset: number): RawRecord {
  const record = message({ op: 'd', before: { id }, after: null, source: source({ lsn }) }, { key: { id } });
  return { ...record, partition: 0, offset: String(offset) };
}
