// The part of end-to-end latency that cdc-fanout cannot influence: from the source commit
// (source.ts_ms) to a plain kafkajs consumer receiving the change event, measured on the same
// events the service handles in steady state. Exact quantiles (every event is kept).
import type { Consumer, Kafka } from 'kafkajs';

/** The q-quantile of sorted values (nearest rank); null when empty. */
export function exactQuantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** source.ts_ms of a Debezium JSON value, with or without the {schema, payload} wrapper. */
export function sourceTsMs(value: Buffer | null): number | null {
  if (!value || value.length === 0) return null;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as {
      payload?: { source?: { ts_ms?: number } };
      source?: { ts_ms?: number };
    };
    const ts = parsed.payload?.source?.ts_ms ?? parsed.source?.ts_ms;
    return typeof ts === 'number' ? ts : null;
  } catch {
    return null;
  }
}

export interface BaselineLatency {
  readonly events: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export class BaselineProbe {
  private consumer: Consumer | null = null;
  private readonly latenciesMs: number[] = [];

  constructor(
    private readonly kafka: Kafka,
    readonly groupId: string,
    private readonly topics: readonly string[],
  ) {}

  /** Joins a fresh group at the topics' ends; resolves once it is a member. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: false });
    await consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: 9,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          const ts = sourceTsMs(message.value);
          if (ts !== null) this.latenciesMs.push(now - ts);
        }
      },
    });
    await joined;
    // A moment for the first fetches to be in flight at the ends.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }

  async stop(): Promise<BaselineLatency> {
    await this.consumer?.disconnect();
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
    return {
      events: sorted.length,
      p50: seconds(exactQuantile(sorted, 0.5)),
      p95: seconds(exactQuantile(sorted, 0.95)),
      p99: seconds(exactQuantile(sorted, 0.99)),
    };
  }
}
