// Times a peer through its consumer group: the records it consumed are its committed offsets minus
// each partition's log start, summed over the topics' partitions (kafkajs admin, nothing joins the
// group). Sink connectors commit every offset.flush.interval.ms (1 s in the stack's worker) and the
// Redpanda Connect configs every 1 s, so the stop time is late by up to about a second for both.
import kafkajs from 'kafkajs';
import type { Endpoints } from './endpoints.js';

export interface Progress {
  /** Records consumed (committed) when the clock stopped. */
  readonly events: number;
  /** From `startedAt` to when `events` reached the target (or to the timeout / failure). */
  readonly seconds: number;
  readonly target: number;
  readonly reached: boolean;
  /** Why the wait ended early: the peer failed (the failure check's message) or timed out. */
  readonly stopReason?: string;
  /** Seconds from `startedAt` to the first committed offset (start-up: task start, group join, first batch). */
  readonly firstCommitSeconds?: number;
}

export interface WaitOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly expectedEvents: number;
  readonly timeoutMs: number;
  /** When the peer was started (Date.now()). */
  readonly startedAt: number;
  /** Returns a message once the peer has failed (polled every ~2 s). */
  readonly failed?: () => Promise<string | undefined>;
  readonly pollMs?: number;
}

export interface TopicsOffsets {
  readonly low: Map<string, bigint>;
  readonly high: Map<string, bigint>;
}

const partitionKey = (topic: string, partition: number) => `${topic}#${partition}`;

export async function topicOffsets(admin: kafkajs.Admin, topics: readonly string[]): Promise<TopicsOffsets> {
  const low = new Map<string, bigint>();
  const high = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      low.set(partitionKey(topic, p.partition), BigInt(p.low));
      high.set(partitionKey(topic, p.partition), BigInt(p.high));
    }
  }
  return { low, high };
}

/** Records in `topics` from their log start to their end now: the default expectedEvents. */
export async function countEvents(endpoints: Endpoints, topics: readonly string[]): Promise<number> {
  return withAdmin(endpoints, async (admin) => {
    const { low, high } = await topicOffsets(admin, topics);
    let total = 0n;
    for (const [key, end] of high) total += end - (low.get(key) ?? 0n);
    return Number(total);
  });
}

export async function consumed(
  admin: kafkajs.Admin,
  groupId: string,
  offsets: TopicsOffsets,
  topics: readonly string[],
) {
  let total = 0n;
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const p of partitions) {
      const committed = BigInt(p.offset);
      const start = offsets.low.get(partitionKey(topic, p.partition)) ?? 0n;
      if (committed > start) total += committed - start;
    }
  }
  return Number(total);
}

export async function withAdmin<T>(
  endpoints: Endpoints,
  run: (admin: kafkajs.Admin) => Promise<T>,
): Promise<T> {
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-peers',
    brokers: endpoints.kafkaBrokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Polls the group's committed offsets until `expectedEvents` were consumed, the peer failed, or the timeout. */
export async function waitForConsumption(endpoints: Endpoints, options: WaitOptions): Promise<Progress> {
  const pollMs = options.pollMs ?? 250;
  return withAdmin(endpoints, async (admin) => {
    const offsets = await topicOffsets(admin, options.topics);
    let target = options.expectedEvents;
    if (target <= 0) {
      target = 0;
      for (const [key, end] of offsets.high) target += Number(end - (offsets.low.get(key) ?? 0n));
    }
    const deadline = options.startedAt + options.timeoutMs;
    let events = 0;
    let firstCommitSeconds: number | undefined;
    let lastFailureCheck = 0;
    const since = () => (Date.now() - options.startedAt) / 1000;
    for (;;) {
      events = await consumed(admin, options.groupId, offsets, options.topics);
      if (events > 0 && firstCommitSeconds === undefined) firstCommitSeconds = since();
      if (events >= target) return { events, seconds: since(), target, reached: true, firstCommitSeconds };
      if (options.failed && Date.now() - lastFailureCheck > 2000) {
        lastFailureCheck = Date.now();
        const failure = await options.failed();
        if (failure)
          return {
            events,
            seconds: since(),
            target,
            reached: false,
            stopReason: failure,
            firstCommitSeconds,
          };
      }
      if (Date.now() >= deadline) {
        return {
          events,
          seconds: since(),
          target,
          reached: false,
          stopReason: `timed out after ${options.timeoutMs} ms with ${events} of ${target} events consumed`,
          firstCommitSeconds,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  });
}

/** Deletes a consumer group, retrying for a while: a just-stopped member may still be leaving it. */
export async function deleteGroup(endpoints: Endpoints, groupId: string, timeoutMs = 20_000): Promise<void> {
  await withAdmin(endpoints, async (admin) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.listGroups();
      if (!groups.some((g) => g.groupId === groupId)) return;
      try {
        await admin.deleteGroups([groupId]);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`could not delete consumer group ${groupId}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  });
}
