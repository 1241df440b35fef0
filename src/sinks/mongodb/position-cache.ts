// Positions this process last stored or read, per collection and id: beliefs that let a
// compare-and-set be sent without reading first (one round trip per batch in steady state). A
// belief is never trusted: the server checks the exact state the statement names, exactly as for a
// state just read. A wrong one (another instance wrote after a rebalance, resync, a truncate, a
// restart, an expired tombstone) only makes that statement miss: on an existing document it
// collides on _id and is planned again after a read; on a missing one it inserts, which is what a
// read finding nothing would have planned. A belief never calls a write stale: only a read does,
// so a position the belief says is newer is read first.
import type { SinkOp } from '../sink.js';
import { readStored, type Stored } from './write-plan.js';

/** How a batch's operations start: on a belief, or after a read of the stored positions. */
export interface BeliefSplit<T> {
  /** Each with the state its compare-and-set names; `stored` undefined: believed absent. */
  readonly believed: Array<T & { readonly stored: Stored | undefined }>;
  readonly toRead: T[];
  /** Those of toRead this process holds no belief about. */
  readonly unknownToRead: T[];
}

export class PositionCache {
  /** Per collection, by id; insertion order is recency (a stored or read position moves to the end). */
  private readonly collections = new Map<string, Map<string, unknown>>();
  /**
   * Per collection: whether ids this process holds no belief about were mostly absent when last
   * seen (tried as inserts, or read). True at first: a first load writes new documents.
   */
  private readonly unknownsAbsent = new Map<string, boolean>();

  /** `maxEntries` per collection: the memory bound (about 85 bytes an entry with short ids). */
  constructor(private readonly maxEntries: number) {}

  /** Splits one collection's operations by what this process believes is stored for them. */
  split<T extends { readonly op: SinkOp }>(collection: string, entries: readonly T[]): BeliefSplit<T> {
    const believed: Array<T & { stored: Stored | undefined }> = [];
    const toRead: T[] = [];
    const unknownToRead: T[] = [];
    const guessAbsent = this.maxEntries > 0 && this.unknownsAbsent.get(collection) !== false;
    const positions = this.collections.get(collection);
    for (const entry of entries) {
      if (positions?.has(entry.op.id)) {
        const stored = readStored(positions.get(entry.op.id));
        // Only a read may call a write stale.
        if (stored.position !== null && stored.position >= entry.op.position) toRead.push(entry);
        else believed.push({ ...entry, stored });
      } else if (guessAbsent) believed.push({ ...entry, stored: undefined });
      else {
        toRead.push(entry);
        unknownToRead.push(entry);
      }
    }
    return { believed, toRead, unknownToRead };
  }

  /** The position now stored for `id` (written, or found by a read). */
  remember(collection: string, id: string, raw: unknown): void {
    if (this.maxEntries === 0) return;
    let positions = this.collections.get(collection);
    if (!positions) {
      positions = new Map();
      this.collections.set(collection, positions);
    }
    positions.delete(id);
    positions.set(id, raw);
    if (positions.size > this.maxEntries) positions.delete(positions.keys().next().value as string);
  }

  /** The state of `id` is not known any more (a statement missed, or its outcome is unknown). */
  forget(collection: string, id: string): void {
    this.collections.get(collection)?.delete(id);
  }

  /**
   * How many ids without a belief were tried or read, and how many of them were absent: decides
   * whether the next ones are tried as inserts (one round trip) or read first (after a restart
   * on a full collection, inserts would all collide).
   */
  observeUnknowns(collection: string, seen: number, absent: number): void {
    if (seen > 0) this.unknownsAbsent.set(collection, absent * 2 >= seen);
  }
}
