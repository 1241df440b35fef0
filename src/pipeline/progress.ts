// Whether a pipeline makes progress, per partition: a batch in hand for too long (a write that
// hangs, or one document retried forever) or records known to wait with no batch arriving (a
// fetch that stalled) make the pipeline not ready, with a reason naming the partition. Retries
// alone do not say it: a server that accepts connections but never answers produces none.

interface PartitionProgress {
  /** When the batch in hand was taken, or null between batches. */
  batchSince: number | null;
  firstOffset: string;
  /** Records after the last committed batch, as of its fetch. */
  lag: bigint;
  /** When this partition last committed (or was first seen). */
  lastProgress: number;
}

export class ProgressWatch {
  private readonly partitions = new Map<string, PartitionProgress>();

  constructor(private readonly stallAfterMs: number) {}

  batchStarted(topic: string, partition: number, firstOffset: string, now: number): void {
    const key = `${topic}/${partition}`;
    const known = this.partitions.get(key);
    if (known) {
      known.batchSince = now;
      known.firstOffset = firstOffset;
    } else {
      this.partitions.set(key, { batchSince: now, firstOffset, lag: 0n, lastProgress: now });
    }
  }

  /** The batch was committed; `lag` records remained after it. */
  batchCommitted(topic: string, partition: number, lag: bigint, now: number): void {
    const known = this.partitions.get(`${topic}/${partition}`);
    if (!known) return;
    known.batchSince = null;
    known.lag = lag;
    known.lastProgress = now;
  }

  /** The batch ended without a commit (abandoned, or failed): it will be fetched again. */
  batchEnded(topic: string, partition: number): void {
    const known = this.partitions.get(`${topic}/${partition}`);
    if (known) known.batchSince = null;
  }

  /** Partitions are being reassigned: what was known of them may no longer be ours. */
  forget(): void {
    this.partitions.clear();
  }

  /** Why the pipeline is stalled, or null while every partition moves. */
  stall(now: number): string | null {
    for (const [key, progress] of this.partitions) {
      if (progress.batchSince !== null && now - progress.batchSince > this.stallAfterMs) {
        return `no progress for ${Math.round((now - progress.batchSince) / 1000)} s on ${key}: the batch from offset ${progress.firstOffset} is not written yet`;
      }
      if (
        progress.batchSince === null &&
        progress.lag > 0n &&
        now - progress.lastProgress > this.stallAfterMs
      ) {
        return `no progress for ${Math.round((now - progress.lastProgress) / 1000)} s on ${key}: ${progress.lag} records wait and none is fetched`;
      }
    }
    return null;
  }
}
