// A bounded cache of compiled schemas keyed by the schema's JSON text. With schemas.enable=true
// every message repeats its schema; the text identifies it exactly, so a table's schema is parsed
// and compiled once per version instead of once per message.
//
// Lookups go by length first and then compare whole strings (a memcmp), which is cheaper than
// hashing a multi-kilobyte string on every message. Eviction is least-recently-used: with more
// live schemas than the bound (many tables, each altered), the schemas in use stay and only the
// stale ones are parsed again, where oldest-first evicted a schema still in use on every insert.
// Keys are stored as fresh copies, never as slices that would keep a whole message text alive.

interface Entry<T> {
  readonly text: string;
  readonly value: T;
}

/** A flat copy of a string (a slice would pin its parent, here the whole message text). */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

export class SchemaCache<T> {
  private readonly byLength = new Map<number, Entry<T>[]>();
  /** Least recently used first (a Set iterates in insertion order; a hit re-inserts). */
  private readonly recency = new Set<Entry<T>>();

  constructor(
    private readonly maxEntries: number,
    /** Schemas longer than this are compiled every time rather than pinned in memory. */
    private readonly maxKeyLength = 1_000_000,
  ) {}

  /** The cached value for exactly this text, if any. */
  peek(text: string): T | undefined {
    const bucket = this.byLength.get(text.length);
    if (bucket === undefined) return undefined;
    for (const entry of bucket) {
      if (entry.text !== text) continue;
      this.recency.delete(entry);
      this.recency.add(entry);
      return entry.value;
    }
    return undefined;
  }

  get(text: string, compile: () => T): T {
    const hit = this.peek(text);
    if (hit !== undefined) return hit;
    const value = compile();
    if (text.length <= this.maxKeyLength) this.insert({ text: detached(text), value });
    return value;
  }

  private insert(entry: Entry<T>): void {
    if (this.recency.size >= this.maxEntries) {
      const oldest = this.recency.values().next().value;
      if (oldest !== undefined) {
        this.recency.delete(oldest);
        const bucket = this.byLength.get(oldest.text.length);
        if (bucket !== undefined) {
          bucket.splice(bucket.indexOf(oldest), 1);
          if (bucket.length === 0) this.byLength.delete(oldest.text.length);
        }
      }
    }
    this.recency.add(entry);
    const bucket = this.byLength.get(entry.text.length);
    if (bucket === undefined) this.byLength.set(entry.text.length, [entry]);
    else bucket.push(entry);
  }

  get size(): number {
    return this.recency.size;
  }

  clear(): void {
    this.byLength.clear();
    this.recency.clear();
  }
}
