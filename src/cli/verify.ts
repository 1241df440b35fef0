// `cdc-fanout verify`: compares every configured table in Postgres with each of its targets (every
// index and collection it is routed to) and prints a summary table, then the first differences; exit code 0 only when everything agrees.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { createKafkajsClient } from '../kafka/kafkajs.js';
import { NoPrimaryKeyError, TableNotFoundError } from '../postgres/catalog.js';
import { Router } from '../router/router.js';
import { createElasticsearchClient } from '../sinks/elasticsearch/sink.js';
import { createMongoClient } from '../sinks/mongodb/sink.js';
import { toStoredForm } from '../sinks/mongodb/stored-form.js';
import { elasticsearchReader, mongoReader, type SinkReader } from '../verify/sink-readers.js';
import { verifyTable, type TableReport } from '../verify/verify.js';
import { formatReports } from './verify-report.js';
import { selectSinks, selectTables } from './tables.js';
import { parseFlags } from './commands.js';

export async function runVerify(config: Config, logger: Logger, argv: readonly string[]): Promise<number> {
  const values = parseFlags('verify', argv);
  const sinks = selectSinks(config, values.sink);
  const kafka = createKafkajsClient({ ...config.kafka, logger });
  const tables = await selectTables(config, kafka, values.table);
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  const es = createElasticsearchClient({ ...config.elasticsearch, logger });
  const mongo = createMongoClient(config.mongodb.url, config.mongodb.requestTimeoutMs);
  const reports: TableReport[] = [];
  try {
    for (const sink of sinks) {
      const reader: SinkReader =
        sink === 'elasticsearch' ? elasticsearchReader(es) : mongoReader(mongo.db(config.mongodb.database));
      const router = new Router(config, sink);
      for (const table of tables) {
        const [schema = '', name = ''] = table.split('.');
        // Every target of the table on its own: each report names its index or collection.
        for (const route of router.routesFor({ database: '', schema, table: name })) {
          try {
            reports.push(
              await verifyTable(
                client,
                reader,
                route,
                sink === 'mongodb' ? { storedForm: toStoredForm } : {},
              ),
            );
          } catch (error) {
            if (error instanceof TableNotFoundError) {
              process.stderr.write(`skipped ${table}: it has a topic but no longer exists in Postgres\n`);
              break;
            } else if (error instanceof NoPrimaryKeyError) {
              // Its events cannot be written either (each is dead-lettered naming the table).
              process.stderr.write(`skipped ${table} (${sink}): no primary key\n`);
              break;
            } else {
              throw error;
            }
          }
        }
      }
    }
  } finally {
    await Promise.allSettled([client.end(), es.close(), mongo.close()]);
  }
  process.stdout.write(values.json ? `${JSON.stringify(reports, null, 2)}\n` : formatReports(reports));
  return reports.length > 0 && reports.every((report) => report.ok) ? 0 : 1;
}
