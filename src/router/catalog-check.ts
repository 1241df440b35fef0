// Renames are checked against the table's columns as soon as they can be known: at start, from the
// Postgres catalog when it answers (the pipeline checks again on the events it reads, for tables
// created or changed later). A rename onto a column the target keeps would make two columns one
// field: refused before anything is written.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { describeTable } from '../postgres/catalog.js';
import { errorMessage } from '../errors.js';
import { renameClash } from './document.js';
import { Router } from './router.js';

type CheckConfig = ConstructorParameters<typeof Router>[0];

/**
 * Throws the ConfigError of the first rename that clashes with the columns `columnsOf` answers (null:
 * the table is not there yet). Answers the tables it checked.
 */
export async function checkRenamesAgainstColumns(
  config: CheckConfig,
  columnsOf: (table: string) => Promise<readonly string[] | null>,
): Promise<string[]> {
  const routers = config.sinks.map((sink) => new Router(config, sink));
  const checked: string[] = [];
  for (const table of Object.keys(config.tables)) {
    const [schema = '', name = ''] = table.split('.');
    const routes = routers.flatMap((router) => router.routesFor({ database: '', schema, table: name }));
    if (!routes.some((route) => route.rename)) continue;
    const columns = await columnsOf(table);
    if (columns === null) continue;
    for (const route of routes) {
      const clash = renameClash(route, columns);
      if (clash) throw clash;
    }
    checked.push(table);
  }
  return checked;
}

/**
 * The start-time check through the catalog. Postgres not answering is no reason to refuse to
 * start (the service itself never needs it): the pipeline's check on the stream still applies.
 */
export async function checkRenamesAtStart(config: Config, logger: Logger): Promise<void> {
  const renames = Object.values(config.tables).some(
    (table) => table.rename || table.targets?.some((target) => target.rename),
  );
  if (!renames) return;
  const client = new pg.Client({ connectionString: config.postgres.url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    logger.warn(
      { error: errorMessage(error) },
      'cannot reach POSTGRES_URL to check the TABLES renames against the tables: they are checked on the first events instead',
    );
    return;
  }
  try {
    const checked = await checkRenamesAgainstColumns(config, async (table) => {
      const [schema = '', name = ''] = table.split('.');
      try {
        return (await describeTable(client, schema, name)).columns.map((column) => column.name);
      } catch (error) {
        // Not there yet, or without a key: the stream shows its columns when it has events.
        logger.warn({ table, error: errorMessage(error) }, 'TABLES renames not checked against the catalog');
        return null;
      }
    });
    if (checked.length > 0) logger.info({ tables: checked }, 'TABLES renames checked against the catalog');
  } finally {
    await client.end().catch(() => undefined);
  }
}
