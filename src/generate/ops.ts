// One row change each: what it runs inside the batch's transaction, what it does to the generator's
// state once committed (new keys, gone keys, counts), and how it gets new values when Postgres
// refuses the ones it had (a duplicate e-mail or key, a customer deleted by someone else).
import type pg from 'pg';
import {
  FakeData,
  TOAST_THRESHOLD,
  type CustomerValues,
  type HardTypesValues,
  type OrderValues,
} from './data.js';
import { KeyPool, type LeaseMode } from './keys.js';

export const TABLES = ['customers', 'orders', 'hard_types'] as const;
export type TableName = (typeof TABLES)[number];
export type OpKind = 'insert' | 'update' | 'delete';

export interface TableStats {
  inserts: number;
  updates: number;
  deletes: number;
  /** Updates and deletes whose row was already gone (changed by someone else): nothing happened. */
  missed: number;
}

export interface ErrorCount {
  count: number;
  /** The first message seen for this code. */
  example: string;
}

export interface GenerateStats {
  tables: Record<TableName, TableStats>;
  /** Orders deleted together with their customer (also counted in orders.deletes). */
  ordersDeletedWithCustomer: number;
  /** hard_types inserts whose big_text is stored out of line (TOASTed). */
  largeTextInserts: number;
  /** hard_types updates that leave an out-of-line big_text alone: Debezium sends a placeholder. */
  toastUnchangedUpdates: number;
  /** Statements Postgres refused (or connection failures), by SQLSTATE or error code; all retried. */
  errors: number;
  errorsByCode: Record<string, ErrorCount>;
  /** Row changes abandoned after repeated errors. */
  givenUp: number;
}

export function emptyStats(): GenerateStats {
  const table = (): TableStats => ({ inserts: 0, updates: 0, deletes: 0, missed: 0 });
  return {
    tables: { customers: table(), orders: table(), hard_types: table() },
    ordersDeletedWithCustomer: 0,
    largeTextInserts: 0,
    toastUnchangedUpdates: 0,
    errors: 0,
    errorsByCode: {},
    givenUp: 0,
  };
}

export function rowChanges(stats: GenerateStats): number {
  return Object.values(stats.tables).reduce((sum, t) => sum + t.inserts + t.updates + t.deletes, 0);
}

export interface OrderKey {
  readonly id: number;
  readonly purchaser: number;
}

export interface HardTypesRow {
  readonly tenantId: number;
  readonly itemId: bigint;
  /** Whether big_text is long enough to be stored out of line. */
  largeText: boolean;
}

export const hardTypesId = (row: { tenantId: number; itemId: bigint }) => `${row.tenantId}:${row.itemId}`;

/** Keys of the rows this run may touch, and what it has done so far. */
export class GeneratorState {
  readonly customers = new KeyPool<number>(String);
  readonly orders = new KeyPool<OrderKey>((order) => String(order.id));
  readonly customerOrders = new Map<number, Set<number>>();
  readonly hardTypes = new KeyPool<HardTypesRow>(hardTypesId);
  readonly stats = emptyStats();

  addOrder(order: OrderKey): void {
    this.orders.add(order);
    let ids = this.customerOrders.get(order.purchaser);
    if (!ids) this.customerOrders.set(order.purchaser, (ids = new Set()));
    ids.add(order.id);
  }

  removeOrder(id: number): void {
    const order = this.orders.get(String(id));
    if (order) this.customerOrders.get(order.purchaser)?.delete(id);
    this.orders.remove(String(id));
  }

  removeCustomer(id: number): void {
    for (const orderId of this.customerOrders.get(id) ?? []) this.orders.remove(String(orderId));
    this.customerOrders.delete(id);
    this.customers.remove(String(id));
  }
}

/** Applies a committed change to the state and the counts; returns how many rows it changed. */
export type Commit = () => number;

/** A statement with its parameters; `name` makes pg prepare it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
  readonly values: readonly unknown[];
}

export interface Op {
  readonly table: TableName;
  readonly kind: OpKind;
  /** Failed attempts so far. */
  attempts: number;
  /** The statements of this attempt, run in order in the batch's transaction. */
  statements(): Statement[];
  /** What their results mean, applied once the transaction has committed. */
  apply(results: readonly pg.QueryResult[]): Commit;
  /** New values after Postgres refused these; false when the change cannot be made any more. */
  refresh(error: unknown): boolean;
  /** Gives back the leases taken when it was planned; called once, after the last attempt. */
  release(): void;
}

const SQL = {
  insertCustomer: {
    name: 'generate_insert_customer',
    text: 'INSERT INTO inventory.customers (first_name, last_name, email) VALUES ($1, $2, $3) RETURNING id',
  },
  renameCustomer: {
    name: 'generate_rename_customer',
    text: 'UPDATE inventory.customers SET first_name = $2, last_name = $3 WHERE id = $1',
  },
  emailCustomer: {
    name: 'generate_email_customer',
    text: 'UPDATE inventory.customers SET email = $2 WHERE id = $1',
  },
  deleteCustomerOrders: {
    name: 'generate_delete_customer_orders',
    text: 'DELETE FROM inventory.orders WHERE purchaser = $1 RETURNING id',
  },
  deleteCustomer: { name: 'generate_delete_customer', text: 'DELETE FROM inventory.customers WHERE id = $1' },
  insertOrder: {
    name: 'generate_insert_order',
    text: 'INSERT INTO inventory.orders (order_date, purchaser, quantity, product, amount) VALUES ($1, $2, $3, $4, $5) RETURNING id',
  },
  repriceOrder: {
    name: 'generate_reprice_order',
    text: 'UPDATE inventory.orders SET quantity = $2, amount = $3 WHERE id = $1',
  },
  reviseOrder: {
    name: 'generate_revise_order',
    text: 'UPDATE inventory.orders SET product = $2, order_date = $3 WHERE id = $1',
  },
  deleteOrder: { name: 'generate_delete_order', text: 'DELETE FROM inventory.orders WHERE id = $1' },
  insertHardTypes: {
    name: 'generate_insert_hard_types',
    text: `INSERT INTO inventory.hard_types (tenant_id, item_id, big, exact, loose, price, real_num, ts_tz, ts, day,
             tod, tod_tz, span, uid, doc, tags, blob, feeling, flag, big_text)
           VALUES ($1, $2, $3, $4, $5, $6::numeric::money, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
  },
  // The update variants below all leave big_text alone except updateHardTypesText.
  updateHardTypesScalars: {
    name: 'generate_update_hard_types_scalars',
    text: `UPDATE inventory.hard_types SET big = $3, exact = $4, real_num = $5, ts_tz = $6, flag = $7, tags = $8, feeling = $9
           WHERE tenant_id = $1 AND item_id = $2`,
  },
  updateHardTypesDoc: {
    name: 'generate_update_hard_types_doc',
    text: 'UPDATE inventory.hard_types SET doc = $3, span = $4 WHERE tenant_id = $1 AND item_id = $2',
  },
  mergeHardTypesDoc: {
    name: 'generate_merge_hard_types_doc',
    text: `UPDATE inventory.hard_types
           SET doc = CASE WHEN jsonb_typeof(doc) = 'object' THEN doc ELSE '{}'::jsonb END || $3::jsonb
           WHERE tenant_id = $1 AND item_id = $2`,
  },
  updateHardTypesText: {
    name: 'generate_update_hard_types_text',
    text: 'UPDATE inventory.hard_types SET big_text = $3, flag = $4 WHERE tenant_id = $1 AND item_id = $2',
  },
  deleteHardTypes: {
    name: 'generate_delete_hard_types',
    text: 'DELETE FROM inventory.hard_types WHERE tenant_id = $1 AND item_id = $2',
  },
} as const;

const sqlState = (error: unknown) => (error as { code?: unknown } | null)?.code;
const result = (results: readonly pg.QueryResult[], index = 0) => results[index]!;

interface Lease {
  readonly pool: KeyPool<unknown>;
  readonly id: string;
  readonly mode: LeaseMode;
}

/** Builds the row changes of a run: picks rows and leases them, makes values, counts the outcome. */
export class OpFactory {
  constructor(
    private readonly state: GeneratorState,
    private readonly fake: FakeData,
  ) {}

  private readonly randomIndex = (n: number) => this.fake.index(n);

  private releaser(leases: Lease[]): () => void {
    return () => {
      for (const lease of leases.splice(0)) lease.pool.release(lease.id, lease.mode);
    };
  }

  // --- customers ------------------------------------------------------------------------------

  insertCustomer(): Op {
    const { state, fake } = this;
    let values: CustomerValues = fake.customer();
    return {
      table: 'customers',
      kind: 'insert',
      attempts: 0,
      statements: () => [
        { ...SQL.insertCustomer, values: [values.firstName, values.lastName, values.email] },
      ],
      apply(results) {
        const id = (result(results).rows[0] as { id: number }).id;
        return () => {
          state.customers.add(id);
          state.stats.tables.customers.inserts++;
          return 1;
        };
      },
      refresh() {
        values = fake.customer();
        return true;
      },
      release() {},
    };
  }

  updateCustomer(): Op | undefined {
    const { state, fake } = this;
    const id = state.customers.pick(this.randomIndex, 'exclusive');
    if (id === undefined) return undefined;
    const release = this.releaser([
      { pool: state.customers as KeyPool<unknown>, id: String(id), mode: 'exclusive' },
    ]);
    const email = fake.chance(0.3);
    let values = fake.customer();
    return {
      table: 'customers',
      kind: 'update',
      attempts: 0,
      statements: () => [
        email
          ? { ...SQL.emailCustomer, values: [id, values.email] }
          : { ...SQL.renameCustomer, values: [id, values.firstName, values.lastName] },
      ],
      apply(results) {
        const { rowCount } = result(results);
        return () => {
          if (!rowCount) {
            state.stats.tables.customers.missed++;
            state.removeCustomer(id);
            return 0;
          }
          state.stats.tables.customers.updates++;
          return 1;
        };
      },
      refresh() {
        values = fake.customer();
        return true;
      },
      release,
    };
  }

  /** Deletes a customer and, first, its orders, which the foreign key would cascade anyway. */
  deleteCustomer(): Op | undefined {
    const { state } = this;
    const ordersOf = (customer: number) => [...(state.customerOrders.get(customer) ?? [])];
    const id = state.customers.pick(this.randomIndex, 'exclusive', (customer) =>
      ordersOf(customer).every((order) => state.orders.isFree(String(order), 'exclusive')),
    );
    if (id === undefined) return undefined;
    const leases: Lease[] = [
      { pool: state.customers as KeyPool<unknown>, id: String(id), mode: 'exclusive' },
    ];
    for (const order of ordersOf(id)) {
      state.orders.lease(String(order), 'exclusive');
      leases.push({ pool: state.orders as KeyPool<unknown>, id: String(order), mode: 'exclusive' });
    }
    return {
      table: 'customers',
      kind: 'delete',
      attempts: 0,
      statements: () => [
        { ...SQL.deleteCustomerOrders, values: [id] },
        { ...SQL.deleteCustomer, values: [id] },
      ],
      apply(results) {
        const orders = result(results, 0) as pg.QueryResult<{ id: number }>;
        const { rowCount } = result(results, 1);
        return () => {
          for (const order of orders.rows) state.removeOrder(order.id);
          state.removeCustomer(id);
          state.stats.tables.orders.deletes += orders.rows.length;
          state.stats.ordersDeletedWithCustomer += orders.rows.length;
          if (!rowCount) {
            state.stats.tables.customers.missed++;
            return orders.rows.length;
          }
          state.stats.tables.customers.deletes++;
          return 1 + orders.rows.length;
        };
      },
      refresh: () => true,
      release: this.releaser(leases),
    };
  }

  // --- orders ---------------------------------------------------------------------------------

  /** An order of an existing customer (undefined when there is none to pick). */
  insertOrder(): Op | undefined {
    const { state, fake } = this;
    const pickPurchaser = () => state.customers.pick(this.randomIndex, 'shared');
    let purchaser = pickPurchaser();
    if (purchaser === undefined) return undefined;
    let values: OrderValues = fake.order();
    const releasePurchaser = () => {
      if (purchaser !== undefined) state.customers.release(String(purchaser), 'shared');
      purchaser = undefined;
    };
    return {
      table: 'orders',
      kind: 'insert',
      attempts: 0,
      statements: () => [
        {
          ...SQL.insertOrder,
          values: [values.orderDate, purchaser!, values.quantity, values.product, values.amount],
        },
      ],
      apply(results) {
        const customer = purchaser!;
        const id = (result(results).rows[0] as { id: number }).id;
        return () => {
          state.addOrder({ id, purchaser: customer });
          state.stats.tables.orders.inserts++;
          return 1;
        };
      },
      refresh(error) {
        if (sqlState(error) === '23503' && purchaser !== undefined) {
          // The customer was deleted by someone else: forget it and pick another.
          state.removeCustomer(purchaser);
          releasePurchaser();
          purchaser = pickPurchaser();
          if (purchaser === undefined) return false;
        }
        values = fake.order();
        return true;
      },
      release: releasePurchaser,
    };
  }

  updateOrder(): Op | undefined {
    const { state, fake } = this;
    const order = state.orders.pick(this.randomIndex, 'exclusive');
    if (order === undefined) return undefined;
    let values = fake.order();
    const reprice = fake.chance(0.6);
    return {
      table: 'orders',
      kind: 'update',
      attempts: 0,
      statements: () => [
        reprice
          ? { ...SQL.repriceOrder, values: [order.id, values.quantity, values.amount] }
          : { ...SQL.reviseOrder, values: [order.id, values.product, values.orderDate] },
      ],
      apply(results) {
        const { rowCount } = result(results);
        return () => {
          if (!rowCount) {
            state.stats.tables.orders.missed++;
            state.removeOrder(order.id);
            return 0;
          }
          state.stats.tables.orders.updates++;
          return 1;
        };
      },
      refresh() {
        values = fake.order();
        return true;
      },
      release: this.releaser([
        { pool: state.orders as KeyPool<unknown>, id: String(order.id), mode: 'exclusive' },
      ]),
    };
  }

  deleteOrder(): Op | undefined {
    const { state } = this;
    const order = state.orders.pick(this.randomIndex, 'exclusive');
    if (order === undefined) return undefined;
    return {
      table: 'orders',
      kind: 'delete',
      attempts: 0,
      statements: () => [{ ...SQL.deleteOrder, values: [order.id] }],
      apply(results) {
        const { rowCount } = result(results);
        return () => {
          state.removeOrder(order.id);
          if (!rowCount) {
            state.stats.tables.orders.missed++;
            return 0;
          }
          state.stats.tables.orders.deletes++;
          return 1;
        };
      },
      refresh: () => true,
      release: this.releaser([
        { pool: state.orders as KeyPool<unknown>, id: String(order.id), mode: 'exclusive' },
      ]),
    };
  }

  // --- hard_types -----------------------------------------------------------------------------

  insertHardTypes(): Op {
    const { state, fake } = this;
    const large = fake.chance(0.2);
    let key = fake.hardTypesKey();
    let values: HardTypesValues = fake.hardTypes(large);
    return {
      table: 'hard_types',
      kind: 'insert',
      attempts: 0,
      statements() {
        const v = values;
        return [
          {
            ...SQL.insertHardTypes,
            values: [
              key.tenantId,
              key.itemId.toString(),
              v.big,
              v.exact,
              v.loose,
              v.price,
              v.realNum,
              v.tsTz,
              v.ts,
              v.day,
              v.tod,
              v.todTz,
              v.span,
              v.uid,
              v.doc,
              v.tags,
              v.blob,
              v.feeling,
              v.flag,
              v.bigText,
            ],
          },
        ];
      },
      apply() {
        const row = { ...key };
        const largeText = (values.bigText?.length ?? 0) > TOAST_THRESHOLD;
        return () => {
          state.hardTypes.add({ ...row, largeText });
          state.stats.tables.hard_types.inserts++;
          if (largeText) state.stats.largeTextInserts++;
          return 1;
        };
      },
      refresh(error) {
        // A duplicate key gets a new key; any other refusal gets new values too.
        key = fake.hardTypesKey();
        if (sqlState(error) !== '23505') values = fake.hardTypes(large);
        return true;
      },
      release() {},
    };
  }

  updateHardTypes(): Op | undefined {
    const { state, fake } = this;
    const row = state.hardTypes.pick(this.randomIndex, 'exclusive');
    if (row === undefined) return undefined;
    const variant = fake.faker.helpers.weightedArrayElement([
      { weight: 55, value: 'scalars' },
      { weight: 15, value: 'doc' },
      { weight: 15, value: 'merge' },
      { weight: 15, value: 'text' },
    ] as const);
    const makeParams = (): unknown[] => {
      switch (variant) {
        case 'scalars':
          return [
            fake.int64().toString(),
            fake.exact(),
            fake.double(),
            fake.timestampTz(),
            fake.chance(0.5),
            fake.tags(),
            fake.pick(['sad', 'ok', 'happy', null]),
          ];
        case 'doc':
          return [fake.document(), fake.interval()];
        case 'merge':
          return [
            JSON.stringify({
              'a.b': { $set: fake.faker.number.int({ min: -1000, max: 1000 }) },
              $where: fake.pick(['sleep(2)', 'this.updated == true']),
            }),
          ];
        case 'text':
          return [fake.text(fake.chance(0.3)), fake.chance(0.5)];
      }
    };
    let params = makeParams();
    const statement = {
      scalars: SQL.updateHardTypesScalars,
      doc: SQL.updateHardTypesDoc,
      merge: SQL.mergeHardTypesDoc,
      text: SQL.updateHardTypesText,
    }[variant];
    return {
      table: 'hard_types',
      kind: 'update',
      attempts: 0,
      statements: () => [{ ...statement, values: [row.tenantId, row.itemId.toString(), ...params] }],
      apply(results) {
        const text = variant === 'text' ? (params[0] as string) : null;
        const { rowCount } = result(results);
        return () => {
          if (!rowCount) {
            state.stats.tables.hard_types.missed++;
            state.hardTypes.remove(hardTypesId(row));
            return 0;
          }
          state.stats.tables.hard_types.updates++;
          if (text !== null) row.largeText = text.length > TOAST_THRESHOLD;
          else if (row.largeText) state.stats.toastUnchangedUpdates++;
          return 1;
        };
      },
      refresh() {
        params = makeParams();
        return true;
      },
      release: this.releaser([
        { pool: state.hardTypes as KeyPool<unknown>, id: hardTypesId(row), mode: 'exclusive' },
      ]),
    };
  }

  deleteHardTypes(): Op | undefined {
    const { state } = this;
    const row = state.hardTypes.pick(this.randomIndex, 'exclusive');
    if (row === undefined) return undefined;
    return {
      table: 'hard_types',
      kind: 'delete',
      attempts: 0,
      statements: () => [{ ...SQL.deleteHardTypes, values: [row.tenantId, row.itemId.toString()] }],
      apply(results) {
        const { rowCount } = result(results);
        return () => {
          state.hardTypes.remove(hardTypesId(row));
          if (!rowCount) {
            state.stats.tables.hard_types.missed++;
            return 0;
          }
          state.stats.tables.hard_types.deletes++;
          return 1;
        };
      },
      refresh: () => true,
      release: this.releaser([
        { pool: state.hardTypes as KeyPool<unknown>, id: hardTypesId(row), mode: 'exclusive' },
      ]),
    };
  }
}
