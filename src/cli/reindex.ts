// `cdc-fanout reindex --table <schema.table> [--sink S] [--index NAME] [--collection NAME] [--grace D]`:
// rebuilds one of the table's Elasticsearch indices into a new one while the service runs and
// moves the alias to it (src/reindex/elasticsearch.ts), and one of its MongoDB collections into a
// new one renamed over it (src/reindex/mongodb.ts); each sink in SINKS, or those named with
// --sink, in turn.
import pg from 'pg';
import type { Logger } from 'pino';
import { createSink } from '../app.js';
import type { Config } from '../config/load.js';
import type { SinkName } from '../config/tables.js';
import { UsageError } from '../errors.js';
import { formatDuration, parseDuration } from '../generate/duration.js';
import { reindexElasticsearch } from '../reindex/elasticsearch.js';
import { reindexMongo } from '../reindex/mongodb.js';
import { Router, type TableRoute } from '../router/router.js';
import { createElasticsearchClient } from '../sinks/elasticsearch/sink.js';
import { createMongoClient } from '../sinks/mongodb/sink.js';
import { parseFlags } from './commands.js';
import { createProgress } from './progress.js';
import { selectSinks } from './tables.js';

function parseGrace(text: string): number {
  if (/^\s*0+(\.0*)?\s*(ms|s|m|h)?\s*$/.test(text)) return 0;
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--grace: ${(error as Error).message}`);
  }
}

const TARGET_FLAGS = {
  elasticsearch: { flag: '--index', kind: 'Elasticsearch indices', plural: 'indices' },
  mongodb: { flag: '--collection', kind: 'MongoDB collections', plural: 'collections' },
} as const;

/** The target to rebuild: the one named by its flag, which may be left out when there is one. */
function chooseTarget(
  table: string,
  sink: SinkName,
  routes: readonly TableRoute[],
  name: string | undefined,
): TableRoute {
  const { flag, kind, plural } = TARGET_FLAGS[sink];
  const names = routes.map((route) => route.target).join(', ');
  if (name === undefined) {
    if (routes.length === 1) return routes[0]!;
    throw new UsageError(`${table} is written to several ${kind} (${names}): choose one with ${flag}`);
  }
  const route = routes.find((candidate) => candidate.target === name);
  if (!route)
    throw new UsageError(`${flag} ${name}: ${table} is not written there (its ${plural}: ${names})`);
  return route;
}

export async function runReindex(config: Config, logger: Logger, argv: readonly string[]): Promise<number> {
  const values = parseFlags('reindex', argv);
  const table = values.table;
  if (!table || !/^[^.]+\.[^.]+$/.test(table)) throw new UsageError('reindex needs --table <schema>.<table>');
  const graceMs = parseGrace(values.grace);
  const sinks = selectSinks(config, values.sink);
  const [schema = '', name = ''] = table.split('.');
  const routes: Array<[SinkName, TableRoute]> = [];
  for (const sink of sinks) {
    const candidates = new Router(config, sink).routesFor({ database: '', schema, table: name });
    if (candidates.length === 0) {
      process.stderr.write(`${table} is not routed to ${sink}\n`);
      return 2;
    }
    routes.push([
      sink,
      chooseTarget(table, sink, candidates, sink === 'elasticsearch' ? values.index : values.collection),
    ]);
  }
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  try {
    for (const [sink, route] of routes) {
      if (sink === 'elasticsearch') await reindexIndex(config, logger, client, table, route, graceMs);
      else await reindexCollection(config, logger, client, table, route);
    }
    return 0;
  } finally {
    await client.end();
  }
}

function progressOf(label: string) {
  const progress = createProgress(label);
  let lastTotal = 0;
  return {
    onProgress: ({ done, total }: { done: number; total: number }) => {
      lastTotal = total;
      progress(done, total, done === total);
    },
    /** A rerun that found the backfill done drew no bar: one full bar for the rows it reports. */
    end: (rows: number) => {
      if (lastTotal === 0 && rows > 0) progress(rows, rows, true);
    },
  };
}

async function reindexIndex(
  config: Config,
  logger: Logger,
  client: pg.Client,
  table: string,
  route: TableRoute,
  graceMs: number,
): Promise<void> {
  const es = createElasticsearchClient({ ...config.elasticsearch, logger });
  const sink = createSink('elasticsearch', config, logger);
  const started = Date.now();
  try {
    await sink.connect();
    const progress = progressOf(`${table} -> elasticsearch:${route.target}`);
    const result = await reindexElasticsearch(client, es, sink, route, {
      graceMs,
      discoveryMs: config.elasticsearch.reindexDiscoveryMs,
      gcDeletes: config.elasticsearch.gcDeletes,
      onStatus: (line) => process.stderr.write(`${line}\n`),
      onProgress: progress.onProgress,
    });
    progress.end(result.rows);
    process.stdout.write(
      `${table} -> elasticsearch: ${route.target} now fronts ${result.target}${result.resumed ? ' (resumed)' : ''}; ${result.rows} rows backfilled in ${formatDuration(result.backfillMs)}, ${formatDuration(Date.now() - started)} in all; replaced ${result.previous.join(', ') || 'nothing'}\n`,
    );
  } finally {
    await Promise.allSettled([sink.close(), es.close()]);
  }
}

/** --grace does not apply: the rename drops the old collection (see README, "Reindex without downtime"). */
async function reindexCollection(
  config: Config,
  logger: Logger,
  client: pg.Client,
  table: string,
  route: TableRoute,
): Promise<void> {
  const mongo = createMongoClient(config.mongodb.url, config.mongodb.requestTimeoutMs);
  const sink = createSink('mongodb', config, logger);
  const started = Date.now();
  try {
    await sink.connect();
    const progress = progressOf(`${table} -> mongodb:${route.target}`);
    const result = await reindexMongo(client, mongo.db(config.mongodb.database), sink, route, {
      discoveryMs: config.mongodb.reindexDiscoveryMs,
      onStatus: (line) => process.stderr.write(`${line}\n`),
      onProgress: progress.onProgress,
    });
    progress.end(result.rows);
    process.stdout.write(
      `${table} -> mongodb: ${route.target} is now the rebuilt ${result.shadow}${result.resumed ? ' (resumed)' : ''}; ${result.rows} rows backfilled in ${formatDuration(result.backfillMs)}, ${formatDuration(Date.now() - started)} in all\n`,
    );
  } finally {
    await Promise.allSettled([sink.close(), mongo.close()]);
  }
}
