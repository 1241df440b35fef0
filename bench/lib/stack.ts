// Addresses of the local stack and the clients the benchmark uses, every one overridable the way
// the service's own settings are, plus the bench's isolated change source (see source.ts).
import { Client as EsClient } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { LosslessSerializer } from '../../src/sinks/elasticsearch/serializer.js';

export const stack = {
  postgresUrl: process.env.POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/inventory',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  elasticsearchUrl: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
  mongodbUrl: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017',
  connectUrl: process.env.CONNECT_URL ?? 'http://127.0.0.1:8083',
  /** The Confluent-compatible API of the stack's Apicurio (stack/components/registry.sh). */
  registryUrl:
    process.env.REGISTRY_URL ||
    `http://127.0.0.1:${process.env.STACK_REGISTRY_PORT ?? '8085'}/apis/ccompat/v7`,
};

/** The same URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function postgres(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'cdc-fanout bench' });
  // A server shut down under the run (another session's stack:down) fails the next query, not the process.
  client.on('error', (error) => console.error(`[bench] postgres connection lost: ${error.message}`));
  await client.connect();
  return client;
}

export function elasticsearch(): EsClient {
  return new EsClient({
    node: stack.elasticsearchUrl,
    Serializer: LosslessSerializer,
    requestTimeout: 120_000,
    maxRetries: 0,
  });
}

export async function mongodb(): Promise<MongoClient> {
  // A socket timeout so that a wedged server fails the benchmark's own calls instead of hanging them.
  const client = new MongoClient(stack.mongodbUrl, {
    useBigInt64: true,
    serverSelectionTimeoutMS: 5000,
    socketTimeoutMS: 180_000,
  });
  // A server that is down now (another session's outage test) may be back later: the driver
  // connects on first use, and the run checks reachability itself.
  await client.connect().catch(() => undefined);
  return client;
}

export function kafka(clientId = 'cdc-fanout-bench'): Kafka {
  return new Kafka({ clientId, brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
}

/** Resolves false when `promise` rejects or takes longer than `ms`; it is not cancelled. */
export async function answersWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
