// What the figures were measured on: the machine (cores, memory, CPU model, load) and the versions
// of every moving part, each read from the running system rather than assumed.
import { cpus, totalmem, release } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { MongoClient } from 'mongodb';
import type pg from 'pg';
import { loadAverage, parseCpuModel, parseKbField } from './proc.js';
import { ROOT } from './source.js';
import { stack } from './stack.js';

export interface Machine {
  readonly nproc: number;
  readonly memoryBytes: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly loadAverage: number[];
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  return {
    nproc: cpus().length,
    memoryBytes: parseKbField(meminfo, 'MemTotal') ?? totalmem(),
    cpuModel: parseCpuModel(cpuinfo),
    kernel: release(),
    loadAverage: await loadAverage(),
  };
}

async function packageVersion(name: string): Promise<string> {
  try {
    const text = await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function attempt(read: () => Promise<string>): Promise<string> {
  try {
    return await read();
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message.slice(0, 80) : 'error'})`;
  }
}

export async function describeVersions(clients: {
  es: EsClient;
  mongo: MongoClient | null;
  pg: pg.Client;
}): Promise<Record<string, string>> {
  const connect = async (path: string) =>
    (await fetch(`${stack.connectUrl}${path}`)).json() as Promise<unknown>;
  return {
    node: process.version,
    kafkajs: await packageVersion('kafkajs'),
    '@elastic/elasticsearch (client)': await packageVersion('@elastic/elasticsearch'),
    'mongodb (driver)': await packageVersion('mongodb'),
    Elasticsearch: await attempt(
      async () => ((await clients.es.info()) as { version: { number: string } }).version.number,
    ),
    'MongoDB server': await attempt(async () => {
      if (!clients.mongo) throw new Error('not answering');
      const info = (await clients.mongo.db('admin').command({ buildInfo: 1 })) as {
        version?: string;
        ferretdbVersion?: string;
      };
      const reported = `reports MongoDB ${info.version ?? '?'}`;
      // The stack's stand-in answers buildInfo as MongoDB; FerretDB names itself.
      return info.ferretdbVersion
        ? `FerretDB ${info.ferretdbVersion} (${reported})`
        : `${reported} (the local stack's stand-in: mongo-java-server, docs/mongodb-stand-in.md)`;
    }),
    Kafka: await attempt(
      async () =>
        `${((await connect('/')) as { version: string }).version} (as reported by the Connect worker)`,
    ),
    Debezium: await attempt(async () => {
      const plugins = (await connect('/connector-plugins')) as Array<{ class: string; version: string }>;
      return plugins.find((plugin) => plugin.class.endsWith('PostgresConnector'))?.version ?? 'not installed';
    }),
    PostgreSQL: await attempt(
      async () =>
        (await clients.pg.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v,
    ),
  };
}
