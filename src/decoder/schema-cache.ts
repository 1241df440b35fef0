// A bounded cache of compiled schemas keyed by the schema's JSON text. With schemas.enable=true
// every message repeats its schema; the text identifies it exactly, so a table's schema is parsed
// and compiled once per version instead of once per message.
//
// Lookups go by length first and then compare whole strings (a memcmp), which is cheaper than
// hashing a multi-kilobyte string on every message. Eviction is oldest-first: the working set (a
// few schemas per table) is far below the bound, which only caps memory against churn. Keys are
// stored as fresh copies, never as slices that would keep a whole message text alive.

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
  private readonly order: Entry<T>[] = [];

  constructor(
    private readonly maxEntries: number,
    /** Schemas longer than this are compiled every time rather than pinned in memory. */
    private readonly maxKeyLength = 1_000_000,
  ) {}

  /** The cached value for exactly this text, if any. */
  peek(text: string): T | undefined {
    const bucket = this.byLength.get(text.length);
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (entry.text === text) return entry.value;
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
    if (this.order.length >= this.maxEntries) {
      const oldest = this.order.shift();
      if (oldest !== undefined) {
        const bucket = this.byLength.get(oldest.text.length);
        if (bucket !== undefined) {
          bucket.splice(bucket.indexOf(oldest), 1);
          if (bucket.length === 0) this.byLength.delete(oldest.text.length);
        }
      }
    }
    this.order.push(entry);
    const bucket = this.byLength.get(entry.text.length);
    if (bucket === undefined) this.byLength.set(entry.text.length, [entry]);
    else bucket.push(entry);
  }

  get size(): number {
    return this.order.length;
  }

  clear(): void {
    this.byLength.clear();
    this.order.length = 0;
  }
}
