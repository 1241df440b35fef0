// The service's own CPU per MongoDB event, and its garbage collections, without the machine's
// other processes in the figure: catch-up timings on this 2-core machine move with how much CPU
// the stand-in, Kafka and Connect leave the service, by more than most changes to it are worth.
//
// Real Debezium records (the bench backlog, read once from Kafka into memory) go through the
// service's SinkPipeline and MongoSink, as many partitions at once as the bench topics have (each
// with one batch in hand, as the look-ahead consumer has). Only the server is replaced: an
// in-process queue that answers each update command after `--server-us-per-doc` µs per statement,
// one command at a time, so that batches stay in flight about as long as against the stand-in
// (25,000 documents/s at the default). A client-side measurement: its events/s is the queue's,
// not a figure for the service; the CPU per event and the collections are the service's.
//
//   tsx bench/pipeline-cost.ts [--records 45000] [--batch 260] [--passes 4] [--server-us-per-doc 40]
//
// Needs the stack and the bench backlog (npm run bench makes it). Run it the same way on two builds
// to compare them.
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Db, MongoClient } from 'mongodb';
import type { DocumentSequence } from 'mongodb/lib/cmap/commands.js';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { RawRecord } from '../src/decoder/types.js';
import type { BatchControl, BatchHandler, ConsumerEvents, KafkaConsumer } from '../src/kafka/client.js';
import { createMetrics } from '../src/observability/metrics.js';
import { SinkPipeline } from '../src/pipeline/sink-pipeline.js';
import { Router } from '../src/router/router.js';
import { MongoSink } from '../src/sinks/mongodb/sink.js';
import { describeSource } from './lib/source.js';
import { kafka } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '45000' },
    batch: { type: 'string', default: '260' },
    passes: { type: 'string', default: '4' },
    'server-us-per-doc': { type: 'string', default: '40' },
  },
});
const RECORDS = Number(values.records);
const BATCH = Number(values.batch);
const PASSES = Number(values.passes);
const SERVER_US_PER_DOC = Number(values['server-us-per-doc']);

/** The first `RECORDS` records of the bench topics, by partition, copied out of kafkajs' buffers. */
async function readBacklog(): Promise<RawRecord[][]> {
  const source = describeSource('isolated');
  const consumer = kafka('pipeline-cost').consumer({ groupId: `pipeline-cost-${Date.now()}` });
  const byPartition = new Map<string, RawRecord[]>();
  let count = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [...source.topics], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        const records = byPartition.get(key) ?? [];
        byPartition.set(key, records);
        for (const message of batch.messages) {
          if (count >= RECORDS) break;
          count++;
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key && Buffer.from(message.key),
            value: message.value && Buffer.from(message.value),
          });
        }
        if (count >= RECORDS) resolve();
      },
    });
  });
  await consumer.disconnect();
  return [...byPartition.values()];
}

/** A MongoDB that answers every update command as written, one command at a time. */
function queuedServer(): MongoClient {
  let free = 0;
  const collection = { createIndex: async () => 'ok' };
  const db = {
    collection: (name: string) => ({ ...collection, collectionName: name }),
    command: async (command: { ping?: number; updates?: DocumentSequence }) => {
      if (command.ping) return { ok: 1 };
      const statements = command.updates!.documents.length;
      const start = Math.max(Date.now(), free);
      free = start + (statements * SERVER_US_PER_DOC) / 1000;
      await new Promise((resolve) => setTimeout(resolve, free - Date.now()));
      return { ok: 1, n: statements };
    },
  } as unknown as Db;
  return { db: () => db, connect: async () => undefined } as unknown as MongoClient;
}

class HandDrivenConsumer implements KafkaConsumer {
  handler: BatchHandler | null = null;
  connect = async () => undefined;
  subscribe = async () => undefined;
  run = async (handler: BatchHandler, events: ConsumerEvents) => {
    this.handler = handler;
    events.onGroupJoin();
  };
  disconnect = async () => undefined;
}

const control: BatchControl = {
  heartbeat: async () => undefined,
  isActive: () => true,
  commit: async () => undefined,
};

/** Every partition's records in batches, the partitions at once, each one batch at a time. */
async function pass(handler: BatchHandler, partitions: readonly RawRecord[][]): Promise<number> {
  let events = 0;
  await Promise.all(
    partitions.map(async (records) => {
      for (let start = 0; start < records.length; start += BATCH) {
        const batch = records.slice(start, start + BATCH);
        const last = batch[batch.length - 1]!;
        await handler(
          { topic: last.topic, partition: last.partition, records: batch, highWatermark: last.offset },
          control,
        );
        events += batch.length;
      }
    }),
  );
  return events;
}

const partitions = await readBacklog();
const consumer = new HandDrivenConsumer();
const pipeline = new SinkPipeline({
  sink: new MongoSink(queuedServer(), {
    url: 'mongodb://in-process',
    database: 'pipeline_cost',
    logger: pino({ level: 'silent' }),
  }),
  consumer,
  router: new Router(
    {
      tables: {},
      defaults: { decimal: 'string', truncate: 'ignore' },
      sinks: ['mongodb'],
      elasticsearch: { indexPrefix: '' },
    },
    'mongodb',
  ),
  deadLetters: null,
  topics: [],
  fromBeginning: true,
  retry: { minTimeoutMs: 100, maxTimeoutMs: 1000 },
  stallTimeoutMs: 600_000,
  metrics: createMetrics(new Registry()),
  logger: pino({ level: 'warn' }),
});
await pipeline.start();
const handler = consumer.handler!;

const total = partitions.reduce((sum, records) => sum + records.length, 0);
console.log(
  `${total} records in ${partitions.length} partitions, batches of ${BATCH}, server ${SERVER_US_PER_DOC} µs per statement`,
);
await pass(handler, partitions); // warm-up: compiled code, schemas, the heap's size

const collections = { minor: { count: 0, ms: 0 }, major: { count: 0, ms: 0 } };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    // perf_hooks' NODE_PERFORMANCE_GC_MINOR is 1; every other kind is a full or incremental collection.
    const kind = entry.detail?.kind === 1 ? collections.minor : collections.major;
    kind.count++;
    kind.ms += entry.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
let events = 0;
for (let round = 0; round < PASSES; round++) events += await pass(handler, partitions);
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
observer.disconnect();
const perEvent = (micros: number) => (micros / events).toFixed(1);
console.log(
  `${events} events in ${(wallMs / 1000).toFixed(1)} s (${Math.round(events / (wallMs / 1000))}/s, the queue's pace)`,
);
console.log(
  `cpu per event: ${perEvent(cpu.user + cpu.system)} µs (user ${perEvent(cpu.user)}, system ${perEvent(cpu.system)})`,
);
console.log(
  `collections: ${collections.minor.count} minor, ${collections.minor.ms.toFixed(0)} ms (${perEvent(collections.minor.ms * 1000)} µs per event); ${collections.major.count} major, ${collections.major.ms.toFixed(0)} ms`,
);
console.log(`peak rss ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
await pipeline.stop();
