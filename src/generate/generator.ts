// The load generator: row changes on the demo schema at a set rate, paced by a token bucket that
// ticks every 10-50 ms, run as small transactions (each sent as one query) on a few pooled
// connections. Postgres errors are counted and the change retried with new values; nothing a
// statement does can stop the run.
//
// It only touches rows it can tell it made, so seed rows and other tools' rows stay as they are:
// customers with an address at an .example domain, their orders, and hard_types rows of tenants
// TENANT_MIN and up (rows from earlier runs included).
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { ConfigError } from '../errors.js';
import { inlineTransaction } from './inline.js';
import { FakeData, GENERATED_EMAIL_LIKE, TENANT_COUNT, TENANT_MIN, TOAST_THRESHOLD } from './data.js';
import {
  GeneratorState,
  OpFactory,
  rowChanges,
  type GenerateStats,
  type Op,
  type OpKind,
  type TableName,
} from './ops.js';

export { TABLES, type GenerateStats, type OpKind, type TableName } from './ops.js';

export interface GenerateOptions {
  /** Row changes per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly tables: readonly TableName[];
  /** Faker seed: the same seed on the same starting rows makes the same values. */
  readonly seed?: number;
  /** How many transactions run at once (each on its own pooled connection). */
  readonly concurrency?: number;
  /** Most row changes in one transaction. */
  readonly maxBatch?: number;
  /** Weights of inserts, updates and deletes; equal insert and delete weights keep tables at their size. */
  readonly kindWeights?: Readonly<Record<OpKind, number>>;
  /** Stops the run early; what is in flight is finished and counted. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly progressIntervalMs?: number;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly events: number;
  readonly stats: GenerateStats;
}

export interface GenerateResult {
  readonly stats: GenerateStats;
  readonly tables: readonly TableName[];
  readonly targetRate: number;
  readonly durationMs: number;
  readonly elapsedMs: number;
  /** Row changes made (inserts + updates + deletes, orders deleted with their customer included). */
  readonly events: number;
  readonly achievedRate: number;
  readonly stoppedEarly: boolean;
  readonly seed: number | null;
  /** Rows of earlier runs found at start, which this run may update and delete too. */
  readonly foundAtStart: Record<TableName, number>;
}

/** Share of the changes each table gets, and of each kind of change (when a row can be found). */
export const TABLE_WEIGHTS: Record<TableName, number> = { customers: 30, orders: 50, hard_types: 20 };
export const KIND_WEIGHTS: Record<OpKind, number> = { insert: 50, update: 35, delete: 15 };

const MAX_KEYS_LOADED = 200_000;
const MAX_OP_ATTEMPTS = 5;
const MAX_BATCH_FAILURES = 10;

export async function generate(pool: pg.Pool, options: GenerateOptions): Promise<GenerateResult> {
  const generator = new Generator(pool, options);
  const foundAtStart = await generator.loadKeys();
  return generator.run(foundAtStart);
}

class Generator {
  private readonly state = new GeneratorState();
  private readonly fake: FakeData;
  private readonly factory: OpFactory;
  private readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Row changes beyond the planned ones (orders deleted with their customer), owed to the bucket. */
  private debt = 0;
  private stopping = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: GenerateOptions,
  ) {
    if (!(options.rate > 0))
      throw new ConfigError('generate: the rate must be a positive number of changes per second');
    if (options.tables.length === 0) throw new ConfigError('generate: no table to generate changes for');
    this.fake = new FakeData(options.seed);
    this.factory = new OpFactory(this.state, this.fake);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxBatch = Math.max(1, options.maxBatch ?? 25);
  }

  private enabled(table: TableName): boolean {
    return this.options.tables.includes(table);
  }

  async loadKeys(): Promise<Record<TableName, number>> {
    const found: Record<TableName, number> = { customers: 0, orders: 0, hard_types: 0 };
    if (this.enabled('customers') || this.enabled('orders')) {
      const customers = await this.pool.query<{ id: number }>(
        'SELECT id FROM inventory.customers WHERE email LIKE $1 ORDER BY id DESC LIMIT $2',
        [GENERATED_EMAIL_LIKE, MAX_KEYS_LOADED],
      );
      for (const { id } of customers.rows) this.state.customers.add(id);
      found.customers = customers.rows.length;
      const orders = await this.pool.query<{ id: number; purchaser: number }>(
        `SELECT o.id, o.purchaser FROM inventory.orders o JOIN inventory.customers c ON c.id = o.purchaser
         WHERE c.email LIKE $1 ORDER BY o.id DESC LIMIT $2`,
        [GENERATED_EMAIL_LIKE, MAX_KEYS_LOADED],
      );
      for (const order of orders.rows) {
        if (this.state.customers.has(String(order.purchaser))) this.state.addOrder(order);
      }
      found.orders = orders.rows.length;
      if (!this.enabled('customers') && this.state.customers.size === 0) {
        // Orders alone and no generated customer yet: any customer can be a purchaser, since
        // customers are then never updated or deleted.
        const any = await this.pool.query<{ id: number }>(
          'SELECT id FROM inventory.customers ORDER BY id DESC LIMIT $1',
          [MAX_KEYS_LOADED],
        );
        for (const { id } of any.rows) this.state.customers.add(id);
        if (any.rows.length === 0)
          throw new ConfigError(
            'generate: orders need customers and there is none: add customers to --tables',
          );
      }
    }
    if (this.enabled('hard_types')) {
      const rows = await this.pool.query<{ tenant_id: number; item_id: string; large: boolean }>(
        `SELECT tenant_id, item_id::text AS item_id, coalesce(length(big_text), 0) > $3 AS large
         FROM inventory.hard_types WHERE tenant_id >= $1 AND tenant_id < $2 LIMIT $4`,
        [TENANT_MIN, TENANT_MIN + TENANT_COUNT, TOAST_THRESHOLD, MAX_KEYS_LOADED],
      );
      for (const row of rows.rows) {
        this.state.hardTypes.add({
          tenantId: row.tenant_id,
          itemId: BigInt(row.item_id),
          largeText: row.large,
        });
      }
      found.hard_types = rows.rows.length;
    }
    return found;
  }

  async run(foundAtStart: Record<TableName, number>): Promise<GenerateResult> {
    const { rate, durationMs, signal, onProgress } = this.options;
    const progressIntervalMs = this.options.progressIntervalMs ?? 2000;
    // Tick often enough that a batch is a handful of changes, but not more often than every 10 ms.
    const tickMs = Math.min(50, Math.max(10, 1000 / rate));
    // Tokens saved while every connection is busy; beyond this the rate is simply not reached.
    const capacity = Math.max(this.maxBatch * this.concurrency, rate / 2);
    const started = performance.now();
    const deadline = started + durationMs;
    let tokens = 0;
    let last = started;
    let nextProgress = started + progressIntervalMs;
    const stop = () => {
      this.stopping = true;
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      while (!this.stopping) {
        const now = performance.now();
        if (now >= deadline) break;
        tokens = Math.min(capacity, tokens + ((now - last) * rate) / 1000);
        last = now;
        if (this.debt > 0) {
          const paid = Math.min(this.debt, Math.max(tokens, 0));
          tokens -= paid;
          this.debt -= paid;
        }
        while (tokens >= 1 && this.inFlight.size < this.concurrency) {
          const size = Math.min(Math.floor(tokens), this.maxBatch);
          tokens -= size;
          const ops = this.plan(size);
          if (ops.length === 0) continue;
          const batch = this.runBatch(ops).finally(() => this.inFlight.delete(batch));
          this.inFlight.add(batch);
        }
        if (onProgress && now >= nextProgress) {
          nextProgress += progressIntervalMs;
          onProgress({
            elapsedMs: now - started,
            durationMs,
            events: rowChanges(this.state.stats),
            stats: this.state.stats,
          });
        }
        await this.nextTick(Math.min(tickMs, deadline - now), signal);
      }
      this.stopping = true;
      await Promise.all(this.inFlight);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    const elapsedMs = performance.now() - started;
    const events = rowChanges(this.state.stats);
    return {
      stats: this.state.stats,
      tables: this.options.tables,
      targetRate: rate,
      durationMs,
      elapsedMs,
      events,
      achievedRate: events / Math.max(elapsedMs / 1000, 0.001),
      stoppedEarly: signal?.aborted === true,
      seed: this.options.seed ?? null,
      foundAtStart,
    };
  }

  private async nextTick(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(Math.max(ms, 1), undefined, signal ? { signal } : undefined);
    } catch {
      // Aborted: the loop sees `stopping`.
    }
  }

  private plan(size: number): Op[] {
    const ops: Op[] = [];
    for (let i = 0; i < size; i++) {
      const op = this.planOne();
      if (op) ops.push(op);
    }
    return ops;
  }

  private planOne(): Op | undefined {
    const helpers = this.fake.faker.helpers;
    const table = helpers.weightedArrayElement(
      this.options.tables.map((value) => ({ value, weight: TABLE_WEIGHTS[value] })),
    );
    const weights = this.options.kindWeights ?? KIND_WEIGHTS;
    const kind = helpers.weightedArrayElement(
      (Object.keys(weights) as OpKind[])
        .filter((value) => weights[value] > 0)
        .map((value) => ({ value, weight: weights[value] })),
    );
    // An update or delete that finds no free row becomes an insert; an order without any customer
    // to belong to becomes a new customer.
    return (
      this.makeOp(table, kind) ??
      this.makeOp(table, 'insert') ??
      (this.enabled('customers') ? this.factory.insertCustomer() : undefined)
    );
  }

  private makeOp(table: TableName, kind: OpKind): Op | undefined {
    const f = this.factory;
    switch (`${table}.${kind}`) {
      case 'customers.insert':
        return f.insertCustomer();
      case 'customers.update':
        return f.updateCustomer();
      case 'customers.delete':
        return f.deleteCustomer();
      case 'orders.insert':
        return f.insertOrder();
      case 'orders.update':
        return f.updateOrder();
      case 'orders.delete':
        return f.deleteOrder();
      case 'hard_types.insert':
        return f.insertHardTypes();
      case 'hard_types.update':
        return f.updateHardTypes();
      case 'hard_types.delete':
        return f.deleteHardTypes();
      default:
        return undefined;
    }
  }

  private recordError(error: unknown): void {
    const stats = this.state.stats;
    stats.errors++;
    const code = errorCode(error);
    const entry = (stats.errorsByCode[code] ??= {
      count: 0,
      example: error instanceof Error ? error.message : String(error),
    });
    entry.count++;
  }

  /**
   * Runs the ops in one transaction, first as a single query (one round trip). When it fails the
   * transaction is rolled back and the batch runs again statement by statement, which tells which
   * op Postgres refused: that op gets new values (or is given up after a few tries) and the batch
   * runs again.
   */
  private async runBatch(ops: readonly Op[]): Promise<void> {
    let pending = [...ops];
    let failures = 0;
    let oneQuery = true;
    try {
      while (pending.length > 0) {
        let client: pg.PoolClient;
        try {
          client = await this.pool.connect();
        } catch (error) {
          this.recordError(error);
          if (++failures >= MAX_BATCH_FAILURES || this.stopping) break;
          await sleep(Math.min(100 * 2 ** failures, 2000));
          continue;
        }
        let failed: Op | undefined;
        let broken = false;
        const statements = pending.map((op) => op.statements());
        try {
          const results: pg.QueryResult[][] = [];
          if (oneQuery) {
            const text = inlineTransaction(statements.flat(), (value) => client.escapeLiteral(value));
            // One result per statement, BEGIN and COMMIT included.
            const all = (await client.query(text)) as unknown as pg.QueryResult[];
            let next = 1;
            for (const list of statements) {
              results.push(all.slice(next, next + list.length));
              next += list.length;
            }
          } else {
            await client.query('BEGIN');
            for (const [index, op] of pending.entries()) {
              failed = op;
              const opResults: pg.QueryResult[] = [];
              for (const statement of statements[index]!) {
                opResults.push(
                  await client.query({
                    name: statement.name,
                    text: statement.text,
                    values: [...statement.values],
                  }),
                );
              }
              results.push(opResults);
            }
            failed = undefined;
            await client.query('COMMIT');
          }
          let changed = 0;
          pending.forEach((op, index) => {
            changed += op.apply(results[index]!)();
          });
          this.debt += Math.max(0, changed - pending.length);
          pending = [];
        } catch (error) {
          // Not an error Postgres answered with: the connection itself may be gone.
          broken = !isSqlState(error);
          if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
          if (oneQuery && !broken) {
            // Not counted yet: the statement-by-statement run meets the same refusal and counts it.
            oneQuery = false;
            continue;
          }
          this.recordError(error);
          if (failed) {
            failed.attempts++;
            if (failed.attempts >= MAX_OP_ATTEMPTS || !failed.refresh(error)) {
              this.state.stats.givenUp++;
              failed.release();
              pending = pending.filter((op) => op !== failed);
            }
          }
          if (++failures >= MAX_BATCH_FAILURES * MAX_OP_ATTEMPTS) break;
          if (broken || !failed) await sleep(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
        } finally {
          client.release(broken || undefined);
        }
      }
      this.state.stats.givenUp += pending.length;
    } finally {
      for (const op of ops) op.release();
    }
  }
}

function isSqlState(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code) return code;
  return error instanceof Error ? error.name : 'Error';
}
