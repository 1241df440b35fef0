// A peer that is a Kafka Connect sink connector in the stack's worker: run() registers it under a
// name unique to the run (so its consumer group connect-<name> starts from the earliest offsets),
// times it through that group, checks the sink against Postgres while it still runs, then deletes
// it; cleanup() deletes the connector, its group and the peer's database / indices.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Peer, PeerResult, PeerRunOptions } from '../peer.js';
import { connectorFailure, deleteConnector, hasPlugin, putConnector } from './connect.js';
import { checkUntilSettled, type SinkReader, type TableSpec } from './correctness.js';
import { endpoints as stackEndpoints, type Endpoints } from './endpoints.js';
import { deleteGroup, waitForConsumption } from './progress.js';

const run = promisify(execFile);

export interface ConnectPeerDefinition {
  readonly name: string;
  readonly sink: 'elasticsearch' | 'mongodb';
  readonly connectorClass: string;
  /** stack/bench/<script> */
  readonly installScript: string;
  /** The connector's config for these topics (name, connector.class and topics are added). */
  readonly config: (endpoints: Endpoints, topics: readonly string[]) => Record<string, string>;
  /** What each topic becomes in the sink, and how it is compared; a topic without a spec is not checked. */
  readonly tableSpec: (topic: string) => TableSpec | undefined;
  /**
   * Topics this peer cannot write to this sink at all, with the reason: they are left out of the run
   * (the result's note names them) and the result is not `correct`.
   */
  readonly unsupportedTopics?: (topics: readonly string[]) => Map<string, string>;
  readonly reader: (endpoints: Endpoints) => SinkReader;
  /** Drops what the peer wrote (its database or indices). */
  readonly dropTargets: (endpoints: Endpoints) => Promise<void>;
  /** How long run() keeps checking (peer still running) for Postgres and the sink to agree. */
  readonly settleMs?: number;
}

export const connectorName = (peer: string, runId: string) => `bench-${peer}-${runId}`;

export function connectPeer(
  definition: ConnectPeerDefinition,
  endpoints: Endpoints = stackEndpoints(),
): Peer {
  return {
    name: definition.name,
    sink: definition.sink,
    async install() {
      await run('bash', [path.join(endpoints.repoRoot, 'stack', 'bench', definition.installScript)], {
        maxBuffer: 16 * 1024 * 1024,
      });
    },
    async run(options: PeerRunOptions): Promise<PeerResult> {
      if (!(await hasPlugin(endpoints, definition.connectorClass))) {
        throw new Error(
          `the Connect worker has no ${definition.connectorClass}: run stack/bench/${definition.installScript} (or peer.install())`,
        );
      }
      const unsupported = definition.unsupportedTopics?.(options.topics) ?? new Map<string, string>();
      const topics = options.topics.filter((t) => !unsupported.has(t));
      const notes = [...unsupported].map(([topic, reason]) => `${topic} left out: ${reason}`);
      if (topics.length === 0) {
        return {
          peer: definition.name,
          sink: definition.sink,
          events: 0,
          seconds: 0,
          eventsPerSecond: 0,
          correct: false,
          correctness: 'not run: no topic this peer can write',
          note: notes.join('; '),
        };
      }
      const name = connectorName(definition.name, options.runId);
      const config = {
        ...definition.config(endpoints, topics),
        name,
        'connector.class': definition.connectorClass,
        topics: topics.join(','),
      };
      const startedAt = Date.now();
      await putConnector(endpoints, name, config);
      const reader = definition.reader(endpoints);
      try {
        const progress = await waitForConsumption(endpoints, {
          groupId: `connect-${name}`,
          topics,
          // The driver's count covers every topic it passed; without the left-out ones, wait for the ends.
          expectedEvents: unsupported.size > 0 ? 0 : options.expectedEvents,
          timeoutMs: options.timeoutMs,
          startedAt,
          failed: () => connectorFailure(endpoints, name),
        });
        const specs = topics
          .map((t) => definition.tableSpec(t))
          .filter((s): s is TableSpec => s !== undefined);
        const failure = progress.stopReason;
        const verdict = await checkUntilSettled(
          endpoints,
          reader,
          specs,
          failure ? 0 : (definition.settleMs ?? 30_000),
        );
        if (progress.firstCommitSeconds !== undefined) {
          notes.push(`first offset commit after ${progress.firstCommitSeconds.toFixed(1)} s`);
        }
        if (failure) notes.unshift(failure);
        return {
          peer: definition.name,
          sink: definition.sink,
          events: progress.events,
          seconds: round(progress.seconds),
          eventsPerSecond: progress.seconds > 0 ? round(progress.events / progress.seconds) : 0,
          correct: progress.reached && verdict.correct && unsupported.size === 0,
          correctness: verdict.correctness,
          note: notes.length ? notes.join('; ') : undefined,
        };
      } finally {
        await reader.close().catch(() => undefined);
        await deleteConnector(endpoints, name);
      }
    },
    async cleanup(runId: string) {
      const name = connectorName(definition.name, runId);
      await deleteConnector(endpoints, name);
      await deleteGroup(endpoints, `connect-${name}`);
      await definition.dropTargets(endpoints);
    },
  };
}

export const round = (value: number) => Math.round(value * 100) / 100;
