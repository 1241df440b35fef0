// Loads the configuration once at start: validated against the schema, then deep-frozen. A bad
// value fails with the variable's name and what was expected, never with the secret itself.
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { MAX_BYTE_COUNT, schema } from './schema.js';
import { checkTargets } from '../router/router.js';
import type { WriteGuard } from '../sinks/mongodb/sink.js';
import {
  parseTableOverrides,
  validateIndexName,
  type DecimalMode,
  type SinkName,
  type TableOverrides,
  type TruncateMode,
} from './tables.js';

export interface Config {
  readonly logLevel: string;
  readonly shutdownTimeoutMs: number;
  /** HEAP_GROWING_PERCENT resolved: 0 leaves V8's own heap growth. */
  readonly heapGrowingPercent: number;
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly groupIdBase: string;
    readonly topicPrefix: string;
    readonly topics: readonly string[];
    readonly topicRefreshMs: number;
    readonly fromBeginning: boolean;
    readonly partitionsConcurrency: number;
    readonly fetchAhead: boolean;
    readonly maxBytesPerPartition: number;
    readonly maxBytes: number;
    readonly maxWaitMs: number;
    readonly sessionTimeoutMs: number;
  };
  readonly registry: {
    readonly url: string;
    readonly username: string;
    readonly password: string;
    readonly requestTimeoutMs: number;
  };
  readonly deadLetter: { readonly enabled: boolean; readonly topic: string };
  readonly retry: {
    readonly minTimeoutMs: number;
    readonly maxTimeoutMs: number;
    readonly stallTimeoutMs: number;
  };
  readonly sinks: readonly SinkName[];
  readonly elasticsearch: {
    readonly url: string;
    readonly username: string;
    readonly password: string;
    readonly apiKey: string;
    readonly indexPrefix: string;
    readonly requestTimeoutMs: number;
    readonly bulkMaxBytes: number;
    readonly gcDeletes: string;
    readonly reindexDiscoveryMs: number;
    readonly fetchMaxBytes: number;
    readonly fetchMaxBytesPerPartition: number;
  };
  readonly mongodb: {
    readonly url: string;
    readonly database: string;
    readonly requestTimeoutMs: number;
    readonly reindexDiscoveryMs: number;
    readonly writeGuard: WriteGuard;
    readonly positionCacheEntries: number;
    readonly fetchMaxBytes: number;
    readonly fetchMaxBytesPerPartition: number;
  };
  readonly postgres: { readonly url: string };
  readonly defaults: { readonly decimal: DecimalMode; readonly truncate: TruncateMode };
  readonly tables: TableOverrides;
}

interface SchemaLeaf {
  env?: string;
  doc?: string;
  default?: unknown;
  sensitive?: boolean;
}

/** Every leaf of the schema with its dotted path: the config reference and .env.example use it. */
export function schemaLeaves(): Array<{ path: string } & SchemaLeaf> {
  const leaves: Array<{ path: string } & SchemaLeaf> = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, child] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child && typeof child === 'object' && 'default' in child)
        leaves.push({ path, ...(child as SchemaLeaf) });
      else walk(child as Record<string, unknown>, path);
    }
  };
  walk(schema as unknown as Record<string, unknown>, '');
  return leaves;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Rewrites convict's "path: message: value was ..." lines to name the env var and hide secrets. */
function describeProblems(message: string): string {
  const byPath = new Map(schemaLeaves().map((leaf) => [leaf.path, leaf]));
  return message
    .split('\n')
    .map((line) => {
      const match = /^([\w.]+): (.*?)(?:: value was .*)?$/s.exec(line);
      const leaf = match?.[1] ? byPath.get(match[1]) : undefined;
      if (!match || !leaf?.env) return line.replace(/: value was .*$/s, '');
      return `${leaf.env}: ${match[2]}`;
    })
    .join('\n');
}

// Each sink has its own consumer: with one sink the look-ahead keeps the sink and the fetch busy at
// once; with both, one Node thread is already the bottleneck and a second fetch per consumer only
// adds memory (bench/results/tuning.md).
function resolveFetchAhead(setting: boolean | 'auto', sinks: readonly SinkName[]): boolean {
  return setting === 'auto' ? sinks.length === 1 : setting;
}

// With both sinks, a batch of each is in flight and promoted, so the old generation V8 lets grow to
// 4x its survivors holds mostly garbage: capped at 2x, a catch-up stays under 200 MiB. One sink's
// process keeps V8's growth, since the full collections the cap adds cost it more CPU (about 10 %
// per MongoDB event on the bench) than its memory is worth (bench/results/tuning.md).
function resolveHeapGrowingPercent(setting: number | 'auto', sinks: readonly SinkName[]): number {
  if (setting !== 'auto') return setting;
  return sinks.length > 1 ? 100 : 0;
}

// A process running MongoDB alone has one consumer: the fetch memory a second would have held goes
// to the first, in batches that cost the server less per document (bench/results/tuning.md).
function resolveMongoFetchSize(
  setting: number | 'auto',
  kafkaSize: number,
  sinks: readonly SinkName[],
): number {
  if (setting !== 'auto') return setting;
  return sinks.length === 1 && sinks[0] === 'mongodb' ? Math.min(2 * kafkaSize, MAX_BYTE_COUNT) : 0;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let validated;
  try {
    validated = convict(schema, { env: { ...env } });
    validated.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n${describeProblems((error as Error).message)}`);
  }
  const loaded = validated.getProperties() as unknown as Omit<
    Config,
    'heapGrowingPercent' | 'kafka' | 'mongodb' | 'tables'
  > & {
    heapGrowingPercent: number | 'auto';
    kafka: Omit<Config['kafka'], 'fetchAhead'> & { fetchAhead: boolean | 'auto' };
    mongodb: Omit<Config['mongodb'], 'fetchMaxBytes' | 'fetchMaxBytesPerPartition'> & {
      fetchMaxBytes: number | 'auto';
      fetchMaxBytesPerPartition: number | 'auto';
    };
    tables: unknown;
  };
  const prefixProblem = loaded.elasticsearch.indexPrefix
    ? validateIndexName(`${loaded.elasticsearch.indexPrefix}x`)
    : null;
  if (prefixProblem)
    throw new ConfigError(`invalid configuration:\nELASTICSEARCH_INDEX_PREFIX: ${prefixProblem}`);
  if (loaded.mongodb.positionCacheEntries > 0 && loaded.mongodb.writeGuard !== 'compare-and-set') {
    throw new ConfigError(
      'invalid configuration:\nMONGODB_POSITION_CACHE_ENTRIES: remembers positions for MONGODB_WRITE_GUARD=compare-and-set only; with "range" no write reads them: set it to 0 or choose compare-and-set',
    );
  }
  if (loaded.retry.minTimeoutMs > loaded.retry.maxTimeoutMs) {
    throw new ConfigError(
      'invalid configuration:\nRETRY_MIN_TIMEOUT_MS: must not exceed RETRY_MAX_TIMEOUT_MS',
    );
  }
  const config = {
    ...loaded,
    heapGrowingPercent: resolveHeapGrowingPercent(loaded.heapGrowingPercent, loaded.sinks),
    kafka: { ...loaded.kafka, fetchAhead: resolveFetchAhead(loaded.kafka.fetchAhead, loaded.sinks) },
    mongodb: {
      ...loaded.mongodb,
      fetchMaxBytes: resolveMongoFetchSize(loaded.mongodb.fetchMaxBytes, loaded.kafka.maxBytes, loaded.sinks),
      fetchMaxBytesPerPartition: resolveMongoFetchSize(
        loaded.mongodb.fetchMaxBytesPerPartition,
        loaded.kafka.maxBytesPerPartition,
        loaded.sinks,
      ),
    },
    tables: parseTableOverrides(loaded.tables),
  };
  // Across tables, with SINKS and ELASTICSEARCH_INDEX_PREFIX known: the default names count too.
  checkTargets(config);
  return deepFreeze(config);
}
