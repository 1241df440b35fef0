// Where the stack is: the variables cdc-fanout itself reads (.env.example), else the stack's ports.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Endpoints {
  readonly kafkaBrokers: string[];
  readonly connectUrl: string;
  readonly elasticsearchUrl: string;
  readonly mongodbUrl: string;
  readonly postgresUrl: string;
  /** The repository root (stack/bench/*.sh, bench/peers/redpanda/*.yaml live under it). */
  readonly repoRoot: string;
  /** The stack's state folder ($STACK_DIR, default <repo>/.stack): the Redpanda Connect binary is in its bin/. */
  readonly stackDir: string;
}

export function endpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const host = '127.0.0.1';
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return {
    kafkaBrokers: (env.KAFKA_BROKERS || `${host}:${env.STACK_KAFKA_PORT || 9092}`)
      .split(',')
      .map((b) => b.trim()),
    connectUrl: env.CONNECT_URL || `http://${host}:${env.STACK_CONNECT_PORT || 8083}`,
    elasticsearchUrl: env.ELASTICSEARCH_URL || `http://${host}:${env.STACK_ES_PORT || 9200}`,
    mongodbUrl:
      env.MONGODB_URL || `mongodb://${host}:${env.STACK_MONGO_PORT || 27017}/?directConnection=true`,
    postgresUrl:
      env.POSTGRES_URL ||
      `postgres://${env.STACK_PG_USER || 'postgres'}:${env.STACK_PG_PASSWORD || 'postgres'}@${host}:${env.STACK_PG_PORT || 5432}/${env.STACK_PG_DB || 'inventory'}`,
    repoRoot,
    stackDir: env.STACK_DIR || path.join(repoRoot, '.stack'),
  };
}
