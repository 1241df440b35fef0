// `cdc-fanout generate [--rate N] [--duration D] [--tables T,...] [--seed S] [--mix I:U:D]`: inserts, updates and
// deletes on the demo schema at a steady rate for a while, progress on stderr, a report on stdout.
// SIGINT or SIGTERM stops it early, after the transactions in flight, with the report.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { parseDuration } from '../generate/duration.js';
import { generate, TABLES, type OpKind, type TableName } from '../generate/generator.js';
import { formatProgress, formatReport, reportJson } from '../generate/report.js';
import { parseFlags } from './commands.js';

/** A wrong option ends the tool with one line naming it (a ConfigError), not a stack trace. */
function usageError(message: string): ConfigError {
  return new ConfigError(`generate: ${message}`);
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw usageError(`--${name} ${text}: expected a positive number`);
  return value;
}

/** "I:U:D", the relative weights of inserts, updates and deletes (e.g. 1:2:1 keeps tables at size). */
export function parseMix(text: string): Record<OpKind, number> {
  const texts = text.split(':').map((part) => part.trim());
  const parts = texts.map(Number);
  const valid =
    parts.length === 3 &&
    texts.every((part) => part !== '') &&
    parts.every((part) => Number.isFinite(part) && part >= 0);
  if (!valid || parts.every((part) => part === 0))
    throw usageError(`--mix ${text}: expected insert:update:delete weights such as 1:2:1`);
  const [insert, update, remove] = parts as [number, number, number];
  return { insert, update, delete: remove };
}

export async function runGenerate(config: Config, logger: Logger, argv: readonly string[]): Promise<number> {
  const values = parseFlags('generate', argv);
  const rate = positiveNumber('rate', values.rate);
  let durationMs: number;
  try {
    durationMs = parseDuration(values.duration);
  } catch (error) {
    throw usageError(`--duration ${(error as Error).message}`);
  }
  const tables = [
    ...new Set(
      values.tables
        .split(',')
        .map((table) => table.trim().replace(/^inventory\./, ''))
        .filter((table) => table !== ''),
    ),
  ];
  for (const table of tables) {
    if (!TABLES.includes(table as TableName))
      throw usageError(`--tables ${table}: expected a comma list of ${TABLES.join(', ')}`);
  }
  if (tables.length === 0) throw usageError(`--tables: expected a comma list of ${TABLES.join(', ')}`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) throw usageError(`--seed ${values.seed}: expected an integer`);
  }
  const connections = Math.floor(positiveNumber('connections', values.connections));
  const kindWeights = values.mix === undefined ? undefined : parseMix(values.mix);

  const pool = new pg.Pool({
    connectionString: config.postgres.url,
    max: connections,
    application_name: 'cdc-fanout generate',
  });
  // An idle pooled connection that breaks must not take the process down; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`generate: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    process.stderr.write(`generate: ${signal}, finishing the transactions in flight\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await generate(pool, {
      rate,
      durationMs,
      tables: tables as TableName[],
      ...(seed === undefined ? {} : { seed }),
      concurrency: connections,
      ...(kindWeights ? { kindWeights } : {}),
      signal: abort.signal,
      onProgress: (progress) => process.stderr.write(formatProgress(progress)),
      progressIntervalMs: 2000,
    });
    process.stdout.write(values.json ? reportJson(result) : formatReport(result));
    return result.events === 0 && result.stats.errors > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.end();
  }
}
