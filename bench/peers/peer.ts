// The contract between the benchmark driver (bench/run.ts) and each peer: a system other than
// cdc-fanout that consumes the same Debezium topics from the earliest offset into its own index or
// collection, timed until it consumed the expected events, then checked against Postgres.

export interface PeerRunOptions {
  /** Unique per run: names the connector / consumer group, so every run starts from the earliest offset. */
  runId: string;
  /** Kafka topics to consume, e.g. ['cdc.inventory.customers', 'cdc.inventory.orders']. */
  topics: readonly string[];
  /**
   * Kafka records (tombstones included) the peer must have consumed, counted from the earliest
   * offset of `topics` (committed offset minus log start, summed over partitions). 0 or less: the
   * end offsets of `topics` when the run starts.
   */
  expectedEvents: number;
  /** How long to wait for the peer to consume them; past it the result says so (correct: false). */
  timeoutMs: number;
}

export interface PeerResult {
  peer: string;
  sink: 'elasticsearch' | 'mongodb';
  /** Records consumed when the clock stopped. */
  events: number;
  /** From the peer's start (connector registered / process spawned) to expectedEvents consumed. */
  seconds: number;
  eventsPerSecond: number;
  /** Every Postgres row has an equal document, and there is no extra document. */
  correct: boolean;
  /** What was compared and what was found, per table. */
  correctness: string;
  note?: string;
}

export interface Peer {
  name: string;
  sink: 'elasticsearch' | 'mongodb';
  /** Runs stack/bench/install-<peer>.sh (idempotent; may restart the Connect worker once). */
  install(): Promise<void>;
  run(options: PeerRunOptions): Promise<PeerResult>;
  /** Removes what run() left: connector, consumer group, index / database. Safe to call twice. */
  cleanup(runId: string): Promise<void>;
}
