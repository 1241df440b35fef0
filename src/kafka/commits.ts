// Offset commits that do not hold up the next batch. A batch's commit is sent once its records
// are written (the caller only commits then); the batch's handler returns as soon as the commit is
// under way, so the next fetch and write overlap the commit's round trip. Commits of one partition
// go out one at a time and in the order they were asked for, so a partition's committed offset
// only moves forward; a failed commit is superseded by the partition's next one (commits are
// cumulative), and at worst the records after the last committed offset are redone, never skipped.
// While draining (shutdown), a commit is awaited in full and its failure is the caller's.

export type SendCommit = (topic: string, partition: number, offset: string) => Promise<void>;

export class CommitQueue {
  private readonly pending = new Map<string, Promise<void>>();
  private draining = false;

  constructor(
    private readonly send: SendCommit,
    private readonly onError: (error: unknown, topic: string, partition: number, offset: string) => void,
  ) {}

  /**
   * Commits `offset` (the next offset to read) of a partition after the partition's earlier
   * commits. Resolves once the earlier commit finished and this one is sent; while draining, once
   * this one is acknowledged (rejecting if it failed).
   */
  async commit(topic: string, partition: number, offset: string): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const previous = this.pending.get(key) ?? Promise.resolve();
    const awaited = this.draining;
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

  /**
   * From now on every commit is awaited in full; resolves once the commits already sent have
   * settled (their failures were reported to onError).
   */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all(this.pending.values());
  }
}
