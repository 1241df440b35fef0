// One batch of look-ahead per partition. kafkajs fetches again only once every batch of its last
// fetch was handled, so the service sat idle for every fetch round trip (measured: about a sixth of
// a MongoDB catch-up's wall time with no batch in hand) and the sink sat idle with it. Here a
// batch's handling is started and the fetch goes on at once; the partition's next batch waits
// for it. A partition still writes one batch at a time, in offset order, and commits in order.
//
// A batch that failed was not committed, and its partition's fetch position had already moved
// past it: the partition is read again from the failed batch's first offset. Everything before
// that offset was written (batches of a partition finish in order), so nothing is skipped.

/** The failed batch of a partition and where to read it again from. */
export interface FailedBatch {
  readonly refetchFrom: string;
  readonly error: unknown;
}

interface InFlight {
  readonly firstOffset: bigint;
  /** Resolves with the batch's failure, or null once it was handled. Never rejects. */
  readonly outcome: Promise<unknown>;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class PartitionLookahead {
  private readonly inFlight = new Map<string, InFlight>();

  /**
   * @param onFailure called as soon as a batch failed, to read its partition again from `from`:
   * without it, a partition that receives no further record would keep its gap until one came.
   */
  constructor(private readonly onFailure: (topic: string, partition: number, from: string) => void) {}

  /**
   * Waits for the partition's batch in flight. Answers null when the batch starting at
   * `firstOffset` may be handled; otherwise the earlier batch failed and the one at hand lies past
   * it, so it must not be handled (committing it would skip the failed one).
   */
  async settle(topic: string, partition: number, firstOffset: string): Promise<FailedBatch | null> {
    const id = key(topic, partition);
    const previous = this.inFlight.get(id);
    if (!previous) return null;
    const error = await previous.outcome;
    if (this.inFlight.get(id) === previous) this.inFlight.delete(id);
    if (error === null) return null;
    // A batch read again from at or before the failed one's start (after a seek or a rejoin)
    // holds the failed records itself.
    if (BigInt(firstOffset) <= previous.firstOffset) return null;
    return { refetchFrom: previous.firstOffset.toString(), error };
  }

  /** Tracks a batch whose handling has started; its partition's next batch settles it first. */
  start(topic: string, partition: number, firstOffset: string, handling: Promise<void>): void {
    const first = BigInt(firstOffset);
    const outcome = handling.then(
      () => null,
      (error: unknown) => {
        this.onFailure(topic, partition, firstOffset);
        return error ?? new Error('batch failed without a reason');
      },
    );
    this.inFlight.set(key(topic, partition), { firstOffset: first, outcome });
  }

  /** Resolves once every batch in flight has finished, handled or failed. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((batch) => batch.outcome));
  }

  get size(): number {
    return this.inFlight.size;
  }
}
