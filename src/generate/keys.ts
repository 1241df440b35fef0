// The rows a generator run may update or delete, with leases so that two transactions in flight
// never touch the same row: an update or delete holds its row exclusively; an order being inserted
// holds its customer shared, which keeps the customer from being deleted under it. Without this,
// concurrent transactions would wait on each other's row locks and deadlock.

export type LeaseMode = 'shared' | 'exclusive';

export class KeyPool<K> {
  private readonly keys: K[] = [];
  private readonly ids: string[] = [];
  private readonly positions = new Map<string, number>();
  /** id -> number of shared leases, or -1 while leased exclusively. */
  private readonly leases = new Map<string, number>();

  constructor(readonly idOf: (key: K) => string) {}

  get size(): number {
    return this.keys.length;
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  get(id: string): K | undefined {
    const position = this.positions.get(id);
    return position === undefined ? undefined : this.keys[position];
  }

  add(key: K): void {
    const id = this.idOf(key);
    const position = this.positions.get(id);
    if (position !== undefined) {
      this.keys[position] = key;
      return;
    }
    this.positions.set(id, this.keys.length);
    this.keys.push(key);
    this.ids.push(id);
  }

  /** Forgets a key (its row is gone); leases on it are simply released later. */
  remove(id: string): void {
    const position = this.positions.get(id);
    if (position === undefined) return;
    const last = this.keys.length - 1;
    if (position !== last) {
      this.keys[position] = this.keys[last]!;
      this.ids[position] = this.ids[last]!;
      this.positions.set(this.ids[position]!, position);
    }
    this.keys.pop();
    this.ids.pop();
    this.positions.delete(id);
  }

  isFree(id: string, mode: LeaseMode): boolean {
    const held = this.leases.get(id) ?? 0;
    return mode === 'shared' ? held >= 0 : held === 0;
  }

  /** Takes a lease if the mode allows it now; false otherwise. */
  lease(id: string, mode: LeaseMode): boolean {
    if (!this.isFree(id, mode)) return false;
    this.leases.set(id, mode === 'exclusive' ? -1 : (this.leases.get(id) ?? 0) + 1);
    return true;
  }

  release(id: string, mode: LeaseMode): void {
    const held = this.leases.get(id);
    if (held === undefined) return;
    if (mode === 'exclusive' || held <= 1) this.leases.delete(id);
    else this.leases.set(id, held - 1);
  }

  /**
   * A random key that can be leased in `mode` (and passes `accept`), leased before it is returned;
   * a few random tries, then undefined, so a busy or empty pool never stalls the planner.
   */
  pick(
    randomIndex: (n: number) => number,
    mode: LeaseMode,
    accept: (key: K) => boolean = () => true,
    tries = 8,
  ): K | undefined {
    for (let attempt = 0; attempt < tries && this.keys.length > 0; attempt++) {
      const position = randomIndex(this.keys.length);
      const key = this.keys[position]!;
      const id = this.ids[position]!;
      if (this.isFree(id, mode) && accept(key) && this.lease(id, mode)) return key;
    }
    return undefined;
  }
}
