// Connections to the local stack for integration tests; every address can be overridden the way
// the service's own settings are.
import { Client as EsClient } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { LosslessSerializer } from '../../../src/sinks/elasticsearch/serializer.js';

export const stack = {
  postgresUrl: process.env.POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/inventory',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  elasticsearchUrl: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
  mongodbUrl: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017',
  topicPrefix: process.env.DEBEZIUM_TOPIC_PREFIX ?? 'cdc',
};

export function uniqueRunId(label: string): string {
  return `it-${label}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

export async function postgres(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: stack.postgresUrl });
  await client.connect();
  return client;
}

export function elasticsearch(): EsClient {
  return new EsClient({ node: stack.elasticsearchUrl, Serializer: LosslessSerializer });
}

export async function mongodb(): Promise<MongoClient> {
  const client = new MongoClient(stack.mongodbUrl, { useBigInt64: true, serverSelectionTimeoutMS: 5000 });
  await client.connect();
  return client;
}

export function kafka(): Kafka {
  return new Kafka({ clientId: 'cdc-fanout-tests', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
}

export function tableTopic(table: string): string {
  return `${stack.topicPrefix}.inventory.${table}`;
}
