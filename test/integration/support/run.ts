// One service test's run in the shared stack, set up and torn down in one place. A run owns its id
// and, through it, its Kafka groups, Elasticsearch indices (by prefix), MongoDB database,
// dead-letter topic and copies of the demo tables (support/run-tables.ts), so that tests never see
// each other's data and leave nothing behind. Every service test used to build that environment,
// open the stores and tear it all down again itself, step for step the same; a copy that missed a
// step (a group, a topic, a database, a client) left litter in the stack for every later run or a
// handle that kept the test process alive. Here it is written once:
//
//   const fixture = new TestRun(uniqueRunId('replay'));
//   const { run, tables, env, groups, service } = fixture;
//   let stores: Stores;
//   before(async () => {
//     ({ stores } = await fixture.open());
//     await service.start();
//   });
//   after(() => fixture.close());
import assert from 'node:assert/strict';
import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { POSITION_FIELD } from '../../../src/sinks/mongodb/sink.js';
import { LIVE_DOCUMENTS } from '../../../src/sinks/mongodb/tombstone.js';
import { deleteGroupsAndTopics, deleteIndices, dropDatabases } from './cleanup.js';
import { waitForConvergence, type Stores } from './converge.js';
import { connectAdmin, endOffsets, waitForCommitted } from './kafka-tools.js';
import { createRunTables, dropRunTables, runTableNames, type RunTables } from './run-tables.js';
import { ServiceProcess } from './service.js';
import { elasticsearch, kafka, postgres, tableTopic } from './stack.js';
import { mongodbWithTimeouts } from './stores.js';

const SINKS = ['elasticsearch', 'mongodb'] as const;

/** The settings that keep one service instance to its own groups, indices, database and dead letters. */
// (A type, not an interface: it stays assignable to Record<string, string>.)
export type InstanceEnv = {
  KAFKA_GROUP_ID_BASE: string;
  ELASTICSEARCH_INDEX_PREFIX: string;
  MONGODB_DATABASE: string;
  DEAD_LETTER_TOPIC: string;
};

/** A service instance's settings: its own names, and whatever else the test sets. */
export type RunEnv = InstanceEnv & Record<string, string>;

export function instanceEnv(id: string): InstanceEnv {
  return {
    KAFKA_GROUP_ID_BASE: id,
    ELASTICSEARCH_INDEX_PREFIX: `${id}-`,
    MONGODB_DATABASE: id,
    DEAD_LETTER_TOPIC: `${id}.dead-letter`,
  };
}

/** The consumer groups of an instance whose KAFKA_GROUP_ID_BASE is `id`, one per sink. */
export function sinkGroups(id: string): string[] {
  return SINKS.map((sink) => `${id}.${sink}`);
}

export interface RunOptions {
  /** Settings of the run's service on top of (or instead of) its own, e.g. KAFKA_SESSION_TIMEOUT_MS. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Tables the test creates itself in open()'s place (schema inventory, unqualified), instead of
   * copies of the demo tables: the service reads their topics, close() drops them and the topics.
   */
  readonly ownTables?: readonly string[];
  /** Also connect a Kafka producer, for tests that write records by hand. */
  readonly producer?: boolean;
}

interface Opened {
  readonly stores: Stores;
  readonly admin: Admin;
  readonly producer: Producer | undefined;
}

interface Instance {
  readonly id: string;
  readonly service: ServiceProcess;
}

export class TestRun {
  /** The run's settings (KAFKA_TOPICS: its tables' topics); the service holds this very object. */
  readonly env: RunEnv;
  /** The run's service instance's consumer groups. */
  readonly groups: readonly string[];
  /** The run's service, started by the test; close() stops it and saves its output. */
  readonly service: ServiceProcess;
  /** The run's tables (unqualified) and their topics, whichever kind they are. */
  readonly tableNames: readonly string[];
  readonly topics: readonly string[];
  private readonly demoTables: RunTables | undefined;
  private readonly instances: Instance[] = [];
  private opened: Opened | undefined;

  constructor(
    readonly run: string,
    private readonly options: RunOptions = {},
  ) {
    this.demoTables = options.ownTables ? undefined : runTableNames(run);
    this.tableNames = options.ownTables ?? this.demoTables!.tables;
    this.topics = options.ownTables?.map((table) => tableTopic(table)) ?? this.demoTables!.topics;
    this.env = { ...instanceEnv(run), KAFKA_TOPICS: this.topics.join(','), ...options.env };
    this.groups = sinkGroups(run);
    this.service = this.instance(run, this.env);
  }

  /** The run's copies of the demo tables (not for a run with its own tables). */
  get tables(): RunTables {
    assert.ok(this.demoTables, `run ${this.run} has its own tables, not copies of the demo tables`);
    return this.demoTables;
  }

  /**
   * Another service instance of this run, with its own id (`<run>-<something>`, so its indices go
   * with the run's); close() stops it, saves its output and removes its database, groups and
   * dead-letter topic. `env` is its whole environment.
   */
  instance(id: string, env: RunEnv): ServiceProcess {
    assert.ok(id === this.run || id.startsWith(`${this.run}-`), `${id} is not an id of run ${this.run}`);
    const service = new ServiceProcess(env);
    this.instances.push({ id, service });
    return service;
  }

  /** Connects to every store and to Kafka, and creates the demo table copies (with their topics). */
  async open(): Promise<this> {
    const mongo = await mongodbWithTimeouts();
    const stores = { pg: await postgres(), es: elasticsearch(), mongo };
    const admin = await connectAdmin();
    let producer: Producer | undefined;
    if (this.options.producer) {
      producer = kafka().producer();
      await producer.connect();
    }
    this.opened = { stores, admin, producer };
    if (this.demoTables) await createRunTables(stores.pg, admin, this.run);
    return this;
  }

  /** waitForConvergence of the run's tables (all of them unless `options.tables` says). */
  converge(options: Parameters<typeof waitForConvergence>[2] = {}): ReturnType<typeof waitForConvergence> {
    return waitForConvergence(this.stores, this.env, { tables: this.tableNames, ...options });
  }

  /**
   * What the run's index and collection of `table` (schema inventory) hold, sorted by id: each
   * Elasticsearch document's _source, and each live MongoDB document without _id and the sink's
   * position (the tombstones of deleted rows left out).
   */
  async storedDocuments(table: string): Promise<{ elasticsearch: unknown[]; mongodb: unknown[] }> {
    const { es, mongo } = this.stores;
    const index = `${this.env.ELASTICSEARCH_INDEX_PREFIX}inventory.${table}`;
    await es.indices.refresh({ index });
    const { hits } = await es.search({ index, size: 10_000, sort: ['id'] });
    const mongodb = await mongo
      .db(this.env.MONGODB_DATABASE)
      .collection(`inventory.${table}`)
      .find(LIVE_DOCUMENTS, { projection: { _id: 0, [POSITION_FIELD]: 0 } })
      .sort({ id: 1 })
      .toArray();
    return { elasticsearch: hits.hits.map((hit) => hit._source), mongodb };
  }

  /** Waits until the run's groups committed every record now in the run's table topics. */
  async caughtUp(): Promise<void> {
    await waitForCommitted(this.admin, this.groups, await endOffsets(this.admin, this.topics));
  }

  get stores(): Stores {
    return this.connected().stores;
  }

  get mongo(): MongoClient {
    return this.connected().stores.mongo;
  }

  get admin(): Admin {
    return this.connected().admin;
  }

  get producer(): Producer {
    const { producer } = this.connected();
    assert.ok(producer, `run ${this.run} was created without { producer: true }`);
    return producer;
  }

  /**
   * Stops every instance (SIGTERM) and saves its output, then removes everything the run made:
   * indices, databases, groups, dead-letter topics, tables and their topics. `cleanup` runs after
   * that, while the clients are still connected (for what the test made beside the run); then
   * every client disconnects.
   */
  async close(cleanup?: (stores: Stores) => Promise<void>): Promise<void> {
    for (const { service } of this.instances) await service.kill('SIGTERM');
    for (const { id, service } of this.instances) await service.saveOutput(id);
    if (!this.opened) return;
    const { stores, admin, producer } = this.opened;
    const ids = this.instances.map(({ id }) => id);
    await deleteIndices(stores.es, `${this.run}-*`);
    await dropDatabases(stores.mongo, ids);
    await deleteGroupsAndTopics(
      admin,
      ids.flatMap((id) => sinkGroups(id)),
      this.instances.map(({ service }) => service.env.DEAD_LETTER_TOPIC!),
    );
    await dropRunTables(stores.pg, admin, { tables: this.tableNames, topics: this.topics });
    await cleanup?.(stores);
    await producer?.disconnect();
    await admin.disconnect();
    await stores.mongo.close();
    await stores.pg.end();
    this.opened = undefined;
  }

  private connected(): Opened {
    assert.ok(this.opened, `run ${this.run} is not open (open() in before())`);
    return this.opened;
  }
}
