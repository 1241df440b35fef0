// Per-run copies of the demo tables, so that a fault test owns its tables and topics: its service
// reads only them (KAFKA_TOPICS), whatever history or poison the shared demo topics carry, and
// verify compares whole tables in seconds. Each copy is `CREATE TABLE ... (LIKE <demo> INCLUDING
// ALL)` (same columns, types, defaults, keys and TOAST storage), added to Debezium's publication
// before any row is written, and seeded with the demo tables' first rows (the seed's hard types).
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { deleteGroupsAndTopics } from './cleanup.js';
import { pollUntil } from './poll.js';
import { tableTopic } from './stack.js';

export const PUBLICATION = process.env.DEBEZIUM_PUBLICATION ?? 'cdc_fanout';

export type DemoTable = 'customers' | 'orders' | 'hard_types';

export interface RunTables {
  /** The run's table for each demo table (unqualified, in schema inventory). */
  readonly names: Readonly<Record<DemoTable, string>>;
  /** Every run table, for waitForConvergence's `tables`. */
  readonly tables: readonly string[];
  /** Their Debezium topics, for KAFKA_TOPICS. */
  readonly topics: readonly string[];
}

const SEED_ORDER: Record<DemoTable, string> = {
  customers: 'id',
  orders: 'id',
  hard_types: 'tenant_id, item_id',
};

/** Table names for a run id (lowercase, underscores: valid unquoted SQL and index names). */
export function runTableNames(run: string): RunTables {
  const prefix = run.replace(/[^a-z0-9]+/g, '_');
  const names = {
    customers: `${prefix}_customers`,
    orders: `${prefix}_orders`,
    hard_types: `${prefix}_hard_types`,
  };
  const tables = Object.values(names);
  return { names, tables, topics: tables.map((table) => tableTopic(table)) };
}

/**
 * Creates the run's tables, publishes them, seeds `seedRows` rows of each demo table and waits
 * until Debezium created every topic.
 */
export async function createRunTables(
  client: pg.Client,
  admin: Admin,
  run: string,
  seedRows = 20,
): Promise<RunTables> {
  const tables = runTableNames(run);
  const entries = Object.entries(tables.names) as Array<[DemoTable, string]>;
  await client.query('BEGIN');
  try {
    for (const [demo, table] of entries) {
      await client.query(`CREATE TABLE inventory.${table} (LIKE inventory.${demo} INCLUDING ALL)`);
    }
    // In the publication before the first row: pgoutput then streams the table from here on.
    await client.query(
      `ALTER PUBLICATION ${PUBLICATION} ADD TABLE ${tables.tables.map((table) => `inventory.${table}`).join(', ')}`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  for (const [demo, table] of entries) {
    await client.query(
      `INSERT INTO inventory.${table} SELECT * FROM inventory.${demo} ORDER BY ${SEED_ORDER[demo]} LIMIT ${seedRows}`,
    );
  }
  await pollUntil(
    `Debezium to create the topics ${tables.topics.join(', ')}`,
    async () => {
      const existing = new Set(await admin.listTopics());
      return tables.topics.every((topic) => existing.has(topic));
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  return tables;
}

/** Drops the run's tables (which leaves the publication with them) and deletes their topics. */
export async function dropRunTables(
  client: pg.Client,
  admin: Admin,
  tables: Pick<RunTables, 'tables' | 'topics'>,
): Promise<void> {
  for (const table of tables.tables) {
    await client
      .query(`DROP TABLE IF EXISTS inventory.${table}`)
      .catch((error: unknown) => console.warn(`# cleanup: dropping ${table} failed: ${String(error)}`));
  }
  await deleteGroupsAndTopics(admin, [], tables.topics);
}
