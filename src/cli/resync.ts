// `cdc-fanout resync --table <schema.table> [--sink <sink>]`: rebuilds a table in every target
// (index or collection) of one sink or all configured sinks from a Postgres snapshot, with
// progress; safe while the service runs.
import pg from 'pg';
import type { Logger } from 'pino';
import { createSink } from '../app.js';
import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { resyncTable } from '../resync/resync.js';
import { Router } from '../router/router.js';
import { createElasticsearchClient } from '../sinks/elasticsearch/sink.js';
import { createMongoClient } from '../sinks/mongodb/sink.js';
import { elasticsearchReader, mongoReader } from '../verify/sink-readers.js';
import { createProgress } from './progress.js';
import { selectSinks } from './tables.js';
import { parseFlags } from './commands.js';

export async function runResync(config: Config, logger: Logger, argv: readonly string[]): Promise<number> {
  const values = parseFlags('resync', argv);
  const table = values.table;
  if (!table || !/^[^.]+\.[^.]+$/.test(table)) throw new UsageError('resync needs --table <schema>.<table>');
  const sinks = selectSinks(config, values.sink);
  const [schema = '', name = ''] = table.split('.');
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  let failed = false;
  try {
    for (const sinkName of sinks) {
      const routes = new Router(config, sinkName).routesFor({ database: '', schema, table: name });
      if (routes.length === 0) {
        process.stderr.write(`${table} is not routed to ${sinkName}; skipped\n`);
        continue;
      }
      const sink = createSink(sinkName, config, logger);
      const es =
        sinkName === 'elasticsearch' ? createElasticsearchClient({ ...config.elasticsearch, logger }) : null;
      const mongo =
        sinkName === 'mongodb'
          ? createMongoClient(config.mongodb.url, config.mongodb.requestTimeoutMs)
          : null;
      try {
        await sink.connect();
        const reader = es ? elasticsearchReader(es) : mongoReader(mongo!.db(config.mongodb.database));
        // Each target on its own (its own snapshot and position): each has its own position guard.
        for (const route of routes) {
          let toldWaiting = false;
          const progress = createProgress(`${table} -> ${sinkName}:${route.target}`);
          const result = await resyncTable(client, sink, reader, route, {
            onWait: ({ oldestXid, waitedMs }) => {
              if (waitedMs < 2000 || toldWaiting) return;
              toldWaiting = true;
              process.stderr.write(
                `waiting for the transactions open when resync began to end (oldest: xid ${oldestXid})\n`,
              );
            },
            onProgress: ({ done, total }) => progress(done, total),
          });
          progress(result.rows, result.rows, true);
          process.stdout.write(
            `${table} -> ${sinkName}:${route.target} at position ${result.position}: ${result.rows} rows, ${result.written} written, ${result.stale} already newer, ${result.deleted} deleted, ${result.failures.length} failed\n`,
          );
          for (const failure of result.failures.slice(0, 10))
            process.stdout.write(`  ${failure.id}: ${failure.error}\n`);
          failed ||= result.failures.length > 0;
        }
      } finally {
        await Promise.allSettled([sink.close(), es?.close(), mongo?.close()]);
      }
    }
  } finally {
    await client.end();
  }
  return failed ? 1 : 0;
}
