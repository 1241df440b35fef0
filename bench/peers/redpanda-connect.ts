// Peers: Redpanda Connect (github.com/redpanda-data/connect/v4, a build with only the components
// used, made by stack/bench/install-redpanda-connect.sh into $STACK_DIR/bin/redpanda-connect-bench)
// running bench/peers/redpanda/<sink>.yaml: kafka_franz input (a consumer group per run, from the
// oldest offset), the envelope.blobl mapping (id from the key, delete on op d, tombstones skipped,
// dates and decimals decoded), then
//  - elasticsearch: the elasticsearch_v8 output, index bench_redpanda_<table>, action index/delete;
//  - mongodb: database bench_redpanda, collection <table>, replace-one upsert by _id / delete-one
//    (written by the mongodb processor, output drop: see mongodb.yaml for why).
// Stored forms: _id the key as a string, text and integers as is, created_at as ZonedTimestamp
// text, order_date 'YYYY-MM-DD', amount a decimal string.
import { Client as EsClient } from '@elastic/elasticsearch';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Peer, PeerResult, PeerRunOptions } from './peer.js';
import { round } from './support/connect-peer.js';
import {
  checkUntilSettled,
  elasticsearchReader,
  mongoReader,
  type TableSpec,
} from './support/correctness.js';
import { endpoints as stackEndpoints, type Endpoints } from './support/endpoints.js';
import { dropDatabase } from './support/mongo.js';
import { deleteGroup, waitForConsumption } from './support/progress.js';
import { stringId, tableOfTopic, tableSpec, TABLES } from './support/tables.js';

export const REDPANDA_INDEX_PREFIX = 'bench_redpanda_';
export const REDPANDA_MONGO_DATABASE = 'bench_redpanda';

const execFileAsync = promisify(execFile);
const running = new Map<string, ChildProcess>();

export const redpandaBinary = (endpoints: Endpoints) =>
  path.join(endpoints.stackDir, 'bin', 'redpanda-connect-bench');
export const redpandaGroup = (sink: string, runId: string) => `bench-redpanda-${sink}-${runId}`;

function redpandaPeer(sink: 'elasticsearch' | 'mongodb', endpoints: Endpoints = stackEndpoints()): Peer {
  const name = `redpanda-connect-${sink}`;
  const configDir = path.join(endpoints.repoRoot, 'bench', 'peers', 'redpanda');
  const spec = (topic: string): TableSpec | undefined => {
    const table = tableOfTopic(topic).split('.').at(-1)!;
    return tableSpec(topic, sink === 'elasticsearch' ? `${REDPANDA_INDEX_PREFIX}${table}` : table, {
      date: 'isoDate',
      decimal: 'decimalText',
      idForm: '_id the key as a string',
      idOf: stringId,
    });
  };
  const reader = () =>
    sink === 'elasticsearch'
      ? elasticsearchReader(endpoints)
      : mongoReader(endpoints, REDPANDA_MONGO_DATABASE);

  async function stop(runId: string): Promise<void> {
    const child = running.get(runId + sink);
    running.delete(runId + sink);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  return {
    name,
    sink,
    async install() {
      await execFileAsync(
        'bash',
        [path.join(endpoints.repoRoot, 'stack', 'bench', 'install-redpanda-connect.sh')],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      );
    },
    async run(options: PeerRunOptions): Promise<PeerResult> {
      const binary = redpandaBinary(endpoints);
      if (!existsSync(binary)) {
        throw new Error(
          `${binary} is missing: run stack/bench/install-redpanda-connect.sh (or peer.install())`,
        );
      }
      const group = redpandaGroup(sink, options.runId);
      const log: string[] = [];
      const logPath = path.join(endpoints.stackDir, 'logs', `${name}-${options.runId}.log`);
      mkdirSync(path.dirname(logPath), { recursive: true });
      const logFile = createWriteStream(logPath);
      const remember = (chunk: Buffer) => {
        logFile.write(chunk);
        log.push(...chunk.toString().split('\n').filter(Boolean));
        if (log.length > 40) log.splice(0, log.length - 40);
      };
      const startedAt = Date.now();
      const child = spawn(binary, ['run', `${sink}.yaml`], {
        cwd: configDir,
        env: {
          ...process.env,
          BENCH_TOPICS: options.topics.join(','),
          BENCH_GROUP: group,
          BENCH_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
          BENCH_ELASTICSEARCH_URL: endpoints.elasticsearchUrl,
          BENCH_INDEX_PREFIX: REDPANDA_INDEX_PREFIX,
          BENCH_MONGODB_URL: endpoints.mongodbUrl,
          BENCH_MONGODB_DATABASE: REDPANDA_MONGO_DATABASE,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.set(options.runId + sink, child);
      child.stdout!.on('data', remember);
      child.stderr!.on('data', remember);
      let spawnError: Error | undefined;
      child.once('error', (error) => (spawnError = error));
      const failed = async () => {
        if (spawnError) return `redpanda-connect could not start: ${spawnError.message}`;
        if (child.exitCode === null && child.signalCode === null) return undefined;
        return `redpanda-connect exited (${child.exitCode ?? child.signalCode}): ${log.slice(-5).join(' | ')}`;
      };
      const sinkReader = reader();
      try {
        const progress = await waitForConsumption(endpoints, {
          groupId: group,
          topics: options.topics,
          expectedEvents: options.expectedEvents,
          timeoutMs: options.timeoutMs,
          startedAt,
          failed,
          pollMs: 250,
        });
        const specs = options.topics.map(spec).filter((s): s is TableSpec => s !== undefined);
        const verdict = await checkUntilSettled(
          endpoints,
          sinkReader,
          specs,
          progress.stopReason ? 0 : 30_000,
        );
        const notes: string[] = [`log: ${logPath}`];
        if (progress.stopReason) notes.push(progress.stopReason);
        if (progress.firstCommitSeconds !== undefined) {
          notes.push(`first offset commit after ${progress.firstCommitSeconds.toFixed(1)} s`);
        }
        const warnings = log.filter((l) => /level=(warn|error)/i.test(l));
        if (warnings.length) notes.push(`last warnings: ${warnings.slice(-3).join(' | ').slice(0, 1500)}`);
        return {
          peer: name,
          sink,
          events: progress.events,
          seconds: round(progress.seconds),
          eventsPerSecond: progress.seconds > 0 ? round(progress.events / progress.seconds) : 0,
          correct: progress.reached && verdict.correct,
          correctness: verdict.correctness,
          note: notes.length ? notes.join('; ') : undefined,
        };
      } finally {
        await sinkReader.close().catch(() => undefined);
        await stop(options.runId);
        logFile.end();
      }
    },
    async cleanup(runId: string) {
      await stop(runId);
      await deleteGroup(endpoints, redpandaGroup(sink, runId));
      if (sink === 'elasticsearch') {
        const client = new EsClient({ node: endpoints.elasticsearchUrl });
        const tables = Object.keys(TABLES).map((t) => `${REDPANDA_INDEX_PREFIX}${t.split('.').at(-1)}`);
        await client.indices
          .delete({ index: tables, ignore_unavailable: true })
          .finally(() => client.close());
      } else {
        await dropDatabase(endpoints, REDPANDA_MONGO_DATABASE);
      }
    },
  };
}

export const redpandaElasticsearchPeer: Peer = redpandaPeer('elasticsearch');
export const redpandaMongodbPeer: Peer = redpandaPeer('mongodb');
