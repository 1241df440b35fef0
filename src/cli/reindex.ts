// `cdc-fanout reindex --table <schema.table> [--index NAME] [--sink elasticsearch] [--grace D]`:
// rebuilds one of the table's Elasticsearch indices into a new one while the service runs and
// moves the alias to it (src/reindex/elasticsearch.ts). MongoDB has no equivalent yet: resync rebuilds a collection.
import pg from 'pg';
import type { Logger } from 'pino';
import { createSink } from '../app.js';
import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { formatDuration, parseDuration } from '../generate/duration.js';
import { reindexElasticsearch } from '../reindex/elasticsearch.js';
import { Router, type TableRoute } from '../router/router.js';
import { createElasticsearchClient } from '../sinks/elasticsearch/sink.js';
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

/** The target to reindex: the one named by --index, which may be left out when there is one. */
function chooseIndex(table: string, routes: readonly TableRoute[], index: string | undefined): TableRoute {
  const names = routes.map((route) => route.target).join(', ');
  if (index === undefined) {
    if (routes.length === 1) return routes[0]!;
    throw new UsageError(
      `${table} is written to several Elasticsearch indices (${names}): choose one with --index`,
    );
  }
  const route = routes.find((candidate) => candidate.target === index);
  if (!route) throw new UsageError(`--index ${index}: ${table} is not written there (its indices: ${names})`);
  return route;
}

export async function runReindex(config: Config, logger: Logger, argv: readonly string[]): Promise<number> {
  const values = parseFlags('reindex', argv);
  const table = values.table;
  if (!table || !/^[^.]+\.[^.]+$/.test(table)) throw new UsageError('reindex needs --table <schema>.<table>');
  const graceMs = parseGrace(values.grace);
  const sinks = selectSinks(config, values.sink);
  if (values.sink.includes('mongodb')) {
    process.stderr.write(
      'reindex --sink mongodb is not supported yet: `cdc-fanout resync --sink mongodb` rebuilds a collection in place\n',
    );
    return 2;
  }
  if (!sinks.includes('elasticsearch')) {
    process.stderr.write('reindex: elasticsearch is not among the sinks (SINKS)\n');
    return 2;
  }
  const [schema = '', name = ''] = table.split('.');
  const routes = new Router(config, 'elasticsearch').routesFor({ database: '', schema, table: name });
  if (routes.length === 0) {
    process.stderr.write(`${table} is not routed to elasticsearch\n`);
    return 2;
  }
  const route = chooseIndex(table, routes, values.index);
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  const es = createElasticsearchClient({ ...config.elasticsearch, logger });
  const sink = createSink('elasticsearch', config, logger);
  const started = Date.now();
  try {
    await sink.connect();
    const progress = createProgress(`${table} -> elasticsearch:${route.target}`);
    let lastTotal = 0;
    const result = await reindexElasticsearch(client, es, sink, route, {
      graceMs,
      discoveryMs: config.elasticsearch.reindexDiscoveryMs,
      gcDeletes: config.elasticsearch.gcDeletes,
      onStatus: (line) => process.stderr.write(`${line}\n`),
      onProgress: ({ done, total }) => {
        lastTotal = total;
        progress(done, total, done === total);
      },
    });
    if (lastTotal === 0 && result.rows > 0) progress(result.rows, result.rows, true);
    process.stdout.write(
      `${table} -> elasticsearch: ${route.target} now fronts ${result.target}${result.resumed ? ' (resumed)' : ''}; ${result.rows} rows backfilled in ${formatDuration(result.backfillMs)}, ${formatDuration(Date.now() - started)} in all; replaced ${result.previous.join(', ') || 'nothing'}\n`,
    );
    return 0;
  } finally {
    await Promise.allSettled([sink.close(), es.close(), client.end()]);
  }
}
