// Offset commits that do not hold up the next batch. A batch's commit is sent once its records
// are written (the caller only commits then); the batch's handler returns as soon as the commit is
// under way, so the next fetch and write overlap the commit's round trip. Commits of one partition
// go out one at a time and in the order they were asked for, so a partition's committed offset
// only moves forward; a failed commit is superseded by the partition's next one (commits are
// cumulative), and at worst the records after the last committed offset are redone, never skipped.
// While draining (shutdown), a commit is awaited in full and its failure is the caller's.
//
// With an interval, a partition's commits go out at most once per interval: a commit asked for
// sooner waits, and one asked for while it waits replaces it (the later offset covers the earlier).
// Each commit is a request the broker appends to its offsets log; at a batch every few
// milliseconds that was a commit per batch, against Kafka Connect's one a minute. What waits is
// only ever an offset whose records are written, so a crash redoes at most an interval's records.
// Draining sends what waits at once.

export type SendCommit = (topic: string, partition: number, offset: string) => Promise<void>;

interface Waiting {
  readonly topic: string;
  readonly partition: number;
  offset: string;
  readonly timer: NodeJS.Timeout;
}

export class CommitQueue {
  private readonly pending = new Map<string, Promise<void>>();
  /** Per partition: when its last commit was sent, and the commit waiting for the interval. */
  private readonly lastSentAt = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting>();
  private draining = false;

  constructor(
    private readonly send: SendCommit,
    private readonly onError: (error: unknown, topic: string, partition: number, offset: string) => void,
    private readonly intervalMs = 0,
  ) {}

  /**
   * Commits `offset` (the next offset to read) of a partition after the partition's earlier
   * commits. Resolves once the earlier commit finished and this one is sent, or once it waits for
   * the interval; while draining, once this one is acknowledged (rejecting if it failed).
   */
  async commit(topic: string, partition: number, offset: string): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    if (this.draining) return this.sendNow(key, topic, partition, offset, true);
    const waiting = this.waiting.get(key);
    if (waiting) {
      waiting.offset = offset;
      return;
    }
    const due = (this.lastSentAt.get(key) ?? -Infinity) + this.intervalMs;
    const delay = due - Date.now();
    if (delay <= 0) return this.sendNow(key, topic, partition, offset, false);
    const timer = setTimeout(() => {
      const latest = this.waiting.get(key);
      if (!latest) return;
      this.waiting.delete(key);
      void this.sendNow(key, topic, partition, latest.offset, false);
    }, delay);
    this.waiting.set(key, { topic, partition, offset, timer });
  }

  private async sendNow(
    key: string,
    topic: string,
    partition: number,
    offset: string,
    awaited: boolean,
  ): Promise<void> {
    this.lastSentAt.set(key, Date.now());
    const previous = this.pending.get(key) ?? Promise.resolve();
    const sending = previous.then(() => this.send(topic, partition, offset));
    const settled: Promise<void> = sending
      .catch((error: unknown) => {
        // An awaited commit's failure goes to its caller; the others' are only reported.
        if (!awaited) this.onError(error, topic, partition, offset);
      })
      .finally(() => {
        if (this.pending.get(key) === settled) this.pending.delete(key);
      });
    this.pending.set(key, settled);
    if (awaited) return sending;
    // One commit in flight per partition at most: the next batch's commit waits for this one.
    await previous;
  }

  /** Commits sent but not yet acknowledged, by partition. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Commits waiting for their partition's interval. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /**
   * From now on every commit is awaited in full; sends the commits waiting for the interval, and
   * resolves once every commit sent has settled (their failures were reported to onError).
   */
  async drain(): Promise<void> {
    this.draining = true;
    for (const [key, { topic, partition, offset, timer }] of this.waiting) {
      clearTimeout(timer);
      void this.sendNow(key, topic, partition, offset, false);
    }
    this.waiting.clear();
    await Promise.all(this.pending.values());
  }
}
