// Helpers for the chaos suite on top of the integration-test support (polling, stack control):
// service instances, Kafka offsets, reading the dead-letter topic, Prometheus counters and
// cleanup of what a run created.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Admin, IHeaders } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { ServiceProcess } from '../integration/support/service.js';
import { kafka, stack } from '../integration/support/stack.js';
import { pollUntil } from '../integration/support/poll.js';

export { pollUntil };
export {
  componentHealthy,
  startComponent,
  stopComponent,
  type Component,
} from '../integration/support/stack-control.js';

/** A service instance that knows whether it runs and keeps the output of all its starts. */
export class Instance {
  private process: ServiceProcess;
  private output: string[] = [];
  up = false;

  constructor(readonly env: Record<string, string>) {
    this.process = new ServiceProcess(env);
  }

  async start(): Promise<void> {
    this.process = new ServiceProcess(this.env);
    this.up = true;
    await this.process.start();
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.up) return;
    await this.process.kill(signal);
    this.output.push(...this.process.rawOutput, `--- ${signal}`);
    this.up = false;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    return this.process.get(path);
  }

  async saveOutput(name: string): Promise<string> {
    const dir = join(tmpdir(), 'cdc-fanout-it');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name}.log`);
    await writeFile(file, `${[...this.output, ...(this.up ? this.process.rawOutput : [])].join('\n')}\n`);
    return file;
  }
}

export type TopicOffsets = Map<string, Map<number, bigint>>;

export async function connectAdmin(): Promise<Admin> {
  const admin = kafka().admin();
  await admin.connect();
  return admin;
}

export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<TopicOffsets> {
  const result: TopicOffsets = new Map();
  for (const topic of topics) {
    const entries = await admin.fetchTopicOffsets(topic);
    result.set(topic, new Map(entries.map((entry) => [entry.partition, BigInt(entry.high)])));
  }
  return result;
}

export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<TopicOffsets> {
  const result: TopicOffsets = new Map();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    result.set(topic, new Map(partitions.map((entry) => [entry.partition, BigInt(entry.offset)])));
  }
  return result;
}

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

/** Reads every message `topic` holds right now, with a throwaway group that is deleted after. */
export async function readWholeTopic(
  admin: Admin,
  topic: string,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const ranges = await admin.fetchTopicOffsets(topic);
  const groupId = `chaos-reader-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 500 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: headerText(message.headers),
        });
      },
    });
    await pollUntil(
      `every message of ${topic}`,
      async () =>
        ranges.every(
          (range) =>
            BigInt(range.high) <= BigInt(range.low) ||
            messages.some(
              (message) =>
                message.partition === range.partition && BigInt(message.offset) >= BigInt(range.high) - 1n,
            ),
        ),
      { timeoutMs, describe: () => `read ${messages.length} messages` },
    );
    return messages;
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** The sum of every sample of `name` whose labels include `labels`. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1]!, pair[2]!]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[2]);
  }
  return total;
}

export async function mongodbWithTimeouts(): Promise<MongoClient> {
  const client = new MongoClient(stack.mongodbUrl, {
    useBigInt64: true,
    serverSelectionTimeoutMS: 5000,
    socketTimeoutMS: 30_000,
  });
  await client.connect();
  return client;
}

function warn(what: string, error: unknown): void {
  console.warn(`# cleanup: ${what} failed: ${String((error as Error)?.message ?? error)}`);
}

/** Removes the run's indices (by name: wildcard deletes are refused), database, groups and topics. */
export async function cleanupRun(
  es: EsClient,
  mongo: MongoClient,
  admin: Admin,
  run: { indexPattern: string; database: string; groups: readonly string[]; topics: readonly string[] },
): Promise<void> {
  try {
    const names = Object.keys(await es.indices.get({ index: run.indexPattern, expand_wildcards: 'all' }));
    if (names.length > 0) await es.indices.delete({ index: names });
  } catch (error) {
    warn(`deleting indices ${run.indexPattern}`, error);
  }
  await mongo
    .db(run.database)
    .dropDatabase()
    .catch((error: unknown) => warn(`dropping ${run.database}`, error));
  await admin.deleteGroups([...run.groups]).catch((error: unknown) => warn('deleting groups', error));
  const existing = new Set(await admin.listTopics().catch(() => [...run.topics]));
  const topics = run.topics.filter((topic) => existing.has(topic));
  if (topics.length > 0)
    await admin
      .deleteTopics({ topics, timeout: 30_000 })
      .catch((error: unknown) => warn('deleting topics', error));
}
