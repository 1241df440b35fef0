// Kafka-side observations for the fault tests: topic end offsets, what a consumer group committed,
// waiting for a group to commit up to a position, and reading a topic back message by message.
import type { Admin, IHeaders } from 'kafkajs';
import { tableTopicPattern } from '../../../src/router/router.js';
import { DEMO_TABLES } from './converge.js';
import { pollUntil } from './poll.js';
import { kafka, stack, tableTopic } from './stack.js';

/** The demo tables' Debezium topics. */
export const TABLE_TOPICS: readonly string[] = DEMO_TABLES.map((table) => tableTopic(table));

/** topic -> partition -> offset. */
export type TopicOffsets = Map<string, Map<number, bigint>>;

export interface PartitionRange {
  readonly low: bigint;
  readonly high: bigint;
}

/**
 * Every table topic the service subscribes to (it takes all "<prefix>.<schema>.<table>" topics,
 * which on a shared stack may be more than the demo tables').
 */
export async function tableTopics(admin: Admin): Promise<string[]> {
  const pattern = tableTopicPattern(stack.topicPrefix);
  return (await admin.listTopics()).filter((topic) => pattern.test(topic)).sort();
}

/** The id of a Debezium record key (`payload.id`), or undefined for a key that has none. */
export function keyId(message: ReadMessage): unknown {
  try {
    return (JSON.parse(message.key?.toString() ?? 'null') as { payload?: { id?: unknown } }).payload?.id;
  } catch {
    return undefined;
  }
}

/** The first record of `topic` whose key's id is `id`, read from the topic's start (waits for it). */
export async function readRecordOfKey(topic: string, id: unknown): Promise<ReadMessage> {
  return (await readTopicUntil(topic, (messages) => messages.some((message) => keyId(message) === id))).find(
    (message) => keyId(message) === id,
  )!;
}

export async function connectAdmin(): Promise<Admin> {
  const admin = kafka().admin();
  await admin.connect();
  return admin;
}

/** Each partition's log start (low) and next offset (high) right now. */
export async function partitionRanges(
  admin: Admin,
  topics: readonly string[] = TABLE_TOPICS,
): Promise<Map<string, Map<number, PartitionRange>>> {
  const result = new Map<string, Map<number, PartitionRange>>();
  for (const topic of topics) {
    const partitions = new Map<number, PartitionRange>();
    for (const entry of await admin.fetchTopicOffsets(topic)) {
      partitions.set(entry.partition, { low: BigInt(entry.low), high: BigInt(entry.high) });
    }
    result.set(topic, partitions);
  }
  return result;
}

/** Each partition's next offset (high watermark) right now. */
export async function endOffsets(
  admin: Admin,
  topics: readonly string[] = TABLE_TOPICS,
): Promise<TopicOffsets> {
  const ranges = await partitionRanges(admin, topics);
  return new Map(
    [...ranges].map(([topic, partitions]) => [
      topic,
      new Map([...partitions].map(([partition, range]) => [partition, range.high])),
    ]),
  );
}

/** What the group committed per partition: the next offset it will read, -1 when nothing. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly string[] = TABLE_TOPICS,
): Promise<TopicOffsets> {
  const result: TopicOffsets = new Map();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    result.set(topic, new Map(partitions.map((entry) => [entry.partition, BigInt(entry.offset)])));
  }
  return result;
}

export function describeOffsets(offsets: TopicOffsets): string {
  return [...offsets]
    .map(([topic, partitions]) => `${topic}: ${[...partitions].map(([p, o]) => `${p}@${o}`).join(' ')}`)
    .join('\n');
}

/**
 * Waits until every group committed at least `target` on every partition that has records below
 * it (an empty partition gives a group nothing to commit).
 */
export async function waitForCommitted(
  admin: Admin,
  groupIds: readonly string[],
  target: TopicOffsets,
  timeoutMs = 90_000,
): Promise<void> {
  const topics = [...target.keys()];
  const ranges = await partitionRanges(admin, topics);
  let last = '';
  await pollUntil(
    `groups ${groupIds.join(', ')} to commit up to the end offsets`,
    async () => {
      const lines: string[] = [];
      for (const groupId of groupIds) {
        const committed = await committedOffsets(admin, groupId, topics);
        for (const [topic, partitions] of target) {
          for (const [partition, offset] of partitions) {
            const low = ranges.get(topic)?.get(partition)?.low ?? 0n;
            if (offset <= low) continue;
            const done = committed.get(topic)?.get(partition) ?? -1n;
            if (done < offset) lines.push(`${groupId} ${topic}/${partition}: committed ${done} < ${offset}`);
          }
        }
      }
      last = lines.join('\n');
      return lines.length === 0;
    },
    { timeoutMs, intervalMs: 500, describe: () => last },
  );
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

/**
 * Reads `topic` from its beginning with a throwaway group until `done` says enough was read, then
 * leaves and deletes the group. Fails on timeout with how many messages were read.
 */
export async function readTopicUntil(
  topic: string,
  done: (messages: readonly ReadMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const groupId = `it-reader-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const client = kafka();
  const consumer = client.consumer({ groupId, maxWaitTimeInMs: 500 });
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
    await pollUntil(`enough messages in ${topic}`, async () => done(messages), {
      timeoutMs,
      describe: () => `read ${messages.length} messages`,
    });
    return messages;
  } finally {
    await consumer.disconnect();
    const admin = client.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Reads every message `topic` holds right now (up to its current end offsets). */
export async function readWholeTopic(
  admin: Admin,
  topic: string,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const ranges = (await partitionRanges(admin, [topic])).get(topic)!;
  const reached = (messages: readonly ReadMessage[]) =>
    [...ranges].every(
      ([partition, { low, high }]) =>
        high <= low ||
        messages.some((message) => message.partition === partition && BigInt(message.offset) >= high - 1n),
    );
  return readTopicUntil(topic, reached, timeoutMs);
}
