// A bounded cache of compiled schemas keyed by the schema's JSON bytes. With schemas.enable=true
// every message repeats its schema; the bytes identify it exactly, so a table's schema is parsed
// and compiled once per version instead of once per message.
//
// Keys are bytes, not text, so that a message whose schema is cached never has its schema decoded
// to a string: with JsonConverter the schema is about three quarters of every message, and its
// text was the largest allocation per event. Lookups go by byte length first and then compare the
// bytes in place (a memcmp), cheaper than hashing a multi-kilobyte key on every message. Eviction
// is least-recently-used: with more live schemas than the bound (many tables, each altered), the
// schemas in use stay and only the stale ones are parsed again. Keys are stored as copies, never
// as views that would keep a whole fetch buffer alive.

interface Entry<T> {
  readonly bytes: Buffer;
  readonly value: T;
}

/** A copy in memory of its own: a small Buffer.from() is a view into a shared 8 KiB pool slab. */
function unpooledCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

export class SchemaCache<T> {
  private readonly byLength = new Map<number, Entry<T>[]>();
  /** Least recently used first (a Set iterates in insertion order; a hit re-inserts). */
  private readonly recency = new Set<Entry<T>>();
  /** The last entry of `recency`. */
  private newest: Entry<T> | undefined;
  /** The byte length of the last key found: where the next message's schema most likely ends. */
  lastHitLength = 0;

  constructor(
    private readonly maxEntries: number,
    /** Schemas longer than this (in bytes) are compiled every time rather than pinned in memory. */
    private readonly maxKeyBytes = 1_000_000,
  ) {}

  /** The cached value for exactly the bytes `source[start, end)`, if any. */
  peek(source: Uint8Array, start = 0, end = source.length): T | undefined {
    const bucket = this.byLength.get(end - start);
    if (bucket === undefined) return undefined;
    for (const entry of bucket) {
      if (entry.bytes.compare(source, start, end) !== 0) continue;
      // Messages come in batches of one table: the entry is usually the most recent already, and
      // moving it would cost a Set insertion per message for nothing.
      if (entry !== this.newest) {
        this.recency.delete(entry);
        this.recency.add(entry);
        this.newest = entry;
      }
      this.lastHitLength = entry.bytes.length;
      return entry.value;
    }
    return undefined;
  }

  /** The cached value for the UTF-8 encoding of `text`, compiled and cached on a miss. */
  get(text: string, compile: () => T): T {
    const bytes = Buffer.from(text, 'utf8');
    const hit = this.peek(bytes);
    if (hit !== undefined) return hit;
    const value = compile();
    if (bytes.length <= this.maxKeyBytes) this.insert({ bytes: unpooledCopy(bytes), value });
    return value;
  }

  private insert(entry: Entry<T>): void {
    if (this.recency.size >= this.maxEntries) {
      const oldest = this.recency.values().next().value;
      if (oldest !== undefined) {
        this.recency.delete(oldest);
        const bucket = this.byLength.get(oldest.bytes.length);
        if (bucket !== undefined) {
          bucket.splice(bucket.indexOf(oldest), 1);
          if (bucket.length === 0) this.byLength.delete(oldest.bytes.length);
        }
      }
    }
    this.recency.add(entry);
    this.newest = entry;
    const bucket = this.byLength.get(entry.bytes.length);
    if (bucket === undefined) this.byLength.set(entry.bytes.length, [entry]);
    else bucket.push(entry);
  }

  get size(): number {
    return this.recency.size;
  }

  clear(): void {
    this.byLength.clear();
    this.recency.clear();
    this.newest = undefined;
  }
}
