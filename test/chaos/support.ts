// Helpers for the chaos suite on top of the integration-test support (polling, stack control,
// Kafka offsets, metrics, cleanup): what is its own is a service instance that can be killed and
// started again while keeping the output of every start.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Admin } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { deleteGroupsAndTopics, deleteIndices, dropDatabases } from '../integration/support/cleanup.js';
import { ServiceProcess } from '../integration/support/service.js';

export { pollUntil } from '../integration/support/poll.js';
export {
  componentHealthy,
  startComponent,
  stopComponent,
  type Component,
} from '../integration/support/stack-control.js';
export {
  TABLE_TOPICS,
  committedOffsets,
  connectAdmin,
  endOffsets,
  readWholeTopic,
  type TopicOffsets,
} from '../integration/support/kafka-tools.js';
export { sampleSum } from '../integration/support/metrics.js';
export { mongodbWithTimeouts } from '../integration/support/stores.js';

/** A service instance that knows whether it runs and keeps the output of all its starts. */
export class Instance {
  private process: ServiceProcess;
  private output: string[] = [];
  up = false;

  constructor(readonly env: Record<string, string>) {
    this.process = new ServiceProcess(env);
  }

  async start(): Promise<void> {
    this.process = new ServiceProcess(this.env);
    this.up = true;
    await this.process.start();
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.up) return;
    await this.process.kill(signal);
    this.output.push(...this.process.rawOutput, `--- ${signal}`);
    this.up = false;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    return this.process.get(path);
  }

  async saveOutput(name: string): Promise<string> {
    const dir = join(tmpdir(), 'cdc-fanout-it');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name}.log`);
    await writeFile(file, `${[...this.output, ...(this.up ? this.process.rawOutput : [])].join('\n')}\n`);
    return file;
  }
}

/** Removes the run's indices, database, groups and topics. */
export async function cleanupRun(
  es: EsClient,
  mongo: MongoClient,
  admin: Admin,
  run: { indexPattern: string; database: string; groups: readonly string[]; topics: readonly string[] },
): Promise<void> {
  await deleteIndices(es, run.indexPattern);
  await dropDatabases(mongo, [run.database]);
  await deleteGroupsAndTopics(admin, run.groups, run.topics);
}
