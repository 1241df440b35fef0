// Asserts the contract's end state: every table's documents in every sink equal the Postgres rows,
// field by field, using the same verify code the CLI runs.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { MongoClient } from 'mongodb';
import type pg from 'pg';
import { loadConfig } from '../../../src/config/load.js';
import type { SinkName } from '../../../src/config/tables.js';
import { Router } from '../../../src/router/router.js';
import { toStoredForm } from '../../../src/sinks/mongodb/stored-form.js';
import { elasticsearchReader, mongoReader } from '../../../src/verify/sink-readers.js';
import { verifyTable, type TableReport } from '../../../src/verify/verify.js';

export const DEMO_TABLES = ['customers', 'orders', 'hard_types'] as const;

export interface Stores {
  readonly pg: pg.Client;
  readonly es: EsClient;
  readonly mongo: MongoClient;
}

export async function verifyAll(
  stores: Stores,
  serviceEnv: Record<string, string>,
  tables: readonly string[] = DEMO_TABLES,
  sinks?: readonly SinkName[],
): Promise<TableReport[]> {
  const config = loadConfig({ ...process.env, ...serviceEnv });
  const reports: TableReport[] = [];
  for (const sink of config.sinks as SinkName[]) {
    if (sinks && !sinks.includes(sink)) continue;
    const router = new Router(config, sink);
    const reader =
      sink === 'elasticsearch'
        ? elasticsearchReader(stores.es)
        : mongoReader(stores.mongo.db(config.mongodb.database));
    for (const table of tables) {
      for (const route of router.routesFor({ database: 'inventory', schema: 'inventory', table })) {
        reports.push(
          await verifyTable(stores.pg, reader, route, sink === 'mongodb' ? { storedForm: toStoredForm } : {}),
        );
      }
    }
  }
  return reports;
}

export function describeReports(reports: readonly TableReport[]): string {
  return reports
    .map(
      (r) =>
        `${r.sink} ${r.table} -> ${r.target}: rows=${r.sourceRows} docs=${r.sinkDocuments} missing=${r.missing.count}${JSON.stringify(r.missing.ids)} extra=${r.extra.count}${JSON.stringify(r.extra.ids)} different=${r.different.count}${JSON.stringify(r.different.examples)}`,
    )
    .join('\n');
}

/**
 * How long a fresh consumer group may take to catch up with the table topics. A new CI machine's
 * topics hold a few thousand events; a developer's may hold the history of many runs.
 */
export const DEFAULT_CONVERGENCE_MS = Number(process.env.IT_CONVERGENCE_TIMEOUT_MS ?? 90_000);

/**
 * Polls verify until every table agrees in every sink (or only in `sinks`, e.g. while the other
 * one is down); fails with the last report otherwise.
 */
export async function waitForConvergence(
  stores: Stores,
  serviceEnv: Record<string, string>,
  options: { timeoutMs?: number; tables?: readonly string[]; sinks?: readonly SinkName[] } = {},
): Promise<TableReport[]> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_CONVERGENCE_MS);
  let reports: TableReport[] = [];
  for (;;) {
    reports = await verifyAll(stores, serviceEnv, options.tables, options.sinks);
    if (reports.length > 0 && reports.every((report) => report.ok)) return reports;
    if (Date.now() > deadline) throw new Error(`sinks did not converge:\n${describeReports(reports)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
