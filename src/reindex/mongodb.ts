// Rebuilds a MongoDB collection while the service keeps writing, then renames the new one over it.
// MongoDB has no aliases; a rename within a database with dropTarget replaces the collection in
// one step (one catalog write since MongoDB 5.0, SERVER-53535), so readers go from the complete
// old collection to the complete new one:
//
// 1. Record the reindex in `_cdc_fanout_reindexes` (mongodb-state.ts) with the new collection's
//    name `<coll>_v<N>`, and create that collection with every index the live one has (the sink's
//    tombstone TTL index, and any the user added) plus a marker index. Every running instance
//    finds the record within MONGODB_REINDEX_DISCOVERY_MS and writes each batch to the new
//    collection too, first (dual-write.ts); waiting twice that long means every change written
//    from then on reaches it.
// 2. Backfill from a Postgres snapshot exactly as resync does (resync.ts), saving the cursor.
// 3. Verify the new collection against Postgres. Pause the collection's writes (the record's phase
//    pausing: instances hold them back and retry) for two discovery intervals, so that no write
//    meets the rename, nor goes to the new name after it; rename the new collection over the live
//    one (dropTarget); record the switch (writes resume, to the live name alone); drop the marker.
// 4. Wait two discovery intervals, then drop a collection that a batch slower than that may have
//    re-created under the new name.
//
// A rerun finds the record and goes on: a backfill after the last row it saved, from a new
// snapshot (the rows before were written from the first one, every change since by the dual
// write); a pause with the marker index already on the live collection was renamed and only
// records the switch. A reindex killed while pausing leaves the collection's writes paused (the
// service retries them; /readyz names the partition after PIPELINE_STALL_TIMEOUT_MS) until a rerun.
import type { Db } from 'mongodb';
import type pg from 'pg';
import { ReindexError } from '../errors.js';
import type { TableRoute } from '../router/router.js';
import type { Sink } from '../sinks/sink.js';
import { TRUNCATE_MARKS } from '../sinks/mongodb/sink.js';
import { mongoReader } from '../verify/sink-readers.js';
import { backfill, sleep, verifyRebuilt, waitForDualWrite, type RebuildOptions } from './rebuild.js';
import {
  REINDEX_COLLECTION,
  SWITCH_MARKER_INDEX,
  nextShadowVersion,
  parseState,
  shadowName,
  type MongoReindexState,
} from './mongodb-state.js';

export interface MongoReindexOptions extends RebuildOptions {
  /** MONGODB_REINDEX_DISCOVERY_MS: instances write to the new collection within this long. */
  readonly discoveryMs: number;
}

export interface MongoReindexResult {
  readonly collection: string;
  /** The collection renamed over it. */
  readonly shadow: string;
  /** Rows the backfill wrote (0 when a rerun found the backfill done). */
  readonly rows: number;
  readonly resumed: boolean;
  readonly backfillMs: number;
}

const NAMESPACE_EXISTS = 48;
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const codeOf = (error: unknown) => (error as { code?: unknown }).code;

async function collectionNames(db: Db, filter: Record<string, unknown> = {}): Promise<string[]> {
  return (await db.listCollections(filter, { nameOnly: true }).toArray()).map((entry) => entry.name);
}

async function exists(db: Db, name: string): Promise<boolean> {
  return (await collectionNames(db, { name })).includes(name);
}

async function save(db: Db, state: MongoReindexState): Promise<void> {
  const { _id, ...fields } = state;
  await db.collection<{ _id: string }>(REINDEX_COLLECTION).replaceOne({ _id }, fields, { upsert: true });
}

/** The new collection with the live one's indexes (options as listed) and the marker index. */
async function prepareShadow(db: Db, live: string, shadow: string): Promise<void> {
  try {
    await db.createCollection(shadow);
  } catch (error) {
    // A rerun, or an instance's first copy came first (the sink then made its own indexes too).
    if (codeOf(error) !== NAMESPACE_EXISTS) throw error;
  }
  const target = db.collection(shadow);
  for (const index of await db.collection(live).indexes()) {
    const { key, v: _version, ns: _namespace, ...options } = index as Record<string, unknown>;
    if (options.name === '_id_') continue;
    await target.createIndex(key as Record<string, 1 | -1>, options);
  }
  await target.createIndex({ _id: 1, [SWITCH_MARKER_INDEX]: 1 }, { name: SWITCH_MARKER_INDEX });
}

async function hasMarker(db: Db, collection: string): Promise<boolean> {
  const indexes = await db
    .collection(collection)
    .indexes()
    .catch((error: unknown) => {
      if (codeOf(error) === NAMESPACE_NOT_FOUND) return [];
      throw error;
    });
  return indexes.some((index) => index.name === SWITCH_MARKER_INDEX);
}

export async function reindexMongo(
  client: pg.ClientBase,
  db: Db,
  sink: Sink,
  route: TableRoute,
  options: MongoReindexOptions,
): Promise<MongoReindexResult> {
  const live = route.target;
  const status = options.onStatus;
  const records = db.collection<{ _id: string }>(REINDEX_COLLECTION);
  let state = parseState(await records.findOne({ _id: live }));
  let resumed = false;

  if (state && state.phase !== 'done') {
    resumed = true;
    status(`resuming the reindex of ${live} into ${state.shadow} (${state.phase})`);
  } else {
    if (!(await exists(db, live)))
      throw new ReindexError(
        `collection ${live} does not exist: nothing to reindex (the service creates it on its first write)`,
      );
    const version = nextShadowVersion(live, await collectionNames(db), state?.version);
    state = {
      _id: live,
      phase: 'backfill',
      shadow: shadowName(live, version),
      version,
      createdAtMs: Date.now(),
    };
    await save(db, state);
    status(`building ${state.shadow} to replace ${live}`);
  }
  const shadow = state.shadow;
  if (state.phase === 'backfill') await prepareShadow(db, live, shadow);

  let rows = 0;
  let backfillMs = 0;
  if (state.phase === 'backfill') {
    await waitForDualWrite(state.createdAtMs, options.discoveryMs, shadow, status);
    ({ state, rows, backfillMs } = await backfill(
      client,
      sink,
      mongoReader(db),
      route,
      shadow,
      state,
      (saved) => save(db, saved),
      options,
    ));
    state = { ...state, phase: 'verify' };
    await save(db, state);
  }

  if (state.phase === 'verify') {
    await verifyRebuilt(client, mongoReader(db), route, shadow, options, `${route.target} is unchanged`);
    state = { ...state, phase: 'pausing', pausedAtMs: Date.now() };
    await save(db, state);
  }

  if (state.phase === 'pausing') {
    // The marker on the live name: the rename happened, the crash came before it was recorded.
    if (!(await hasMarker(db, live))) {
      const left = (state.pausedAtMs ?? Date.now()) + 2 * options.discoveryMs - Date.now();
      if (left > 0) {
        status(
          `pausing the writes to ${live} for ${Math.ceil(left / 1000)}s, until no instance writes to it`,
        );
        await sleep(left);
      }
      await db.admin().command({
        renameCollection: `${db.databaseName}.${shadow}`,
        to: `${db.databaseName}.${live}`,
        dropTarget: true,
      });
    }
    state = { ...state, phase: 'switched', switchedAtMs: Date.now() };
    await save(db, state);
    status(`${live} is now the rebuilt collection; writes resume`);
  }

  await finish(db, state, options);
  return { collection: live, shadow, rows, resumed, backfillMs };
}

/**
 * Drops the collection a copy written after the rename re-created under the new name. Unless it
 * is the live collection under another name: mongo-java-server's H2 backend (not the stack's
 * stand-in, which renames the storage too) leaves the old name on the renamed collection's storage
 * (a write to either name lands in both, dropping either empties both; docs/mongodb-stand-in.md).
 * A probe document written under the new name and looked up under the live one tells them apart.
 */
async function dropStray(db: Db, state: MongoReindexState, status: (line: string) => void): Promise<void> {
  if (!(await exists(db, state.shadow))) return;
  const stray = db.collection<{ _id: string }>(state.shadow);
  const probe = `_cdc_fanout_probe_${Date.now()}`;
  await stray.insertOne({ _id: probe });
  const shared = (await db.collection<{ _id: string }>(state._id).findOne({ _id: probe })) !== null;
  await stray.deleteOne({ _id: probe });
  if (shared) {
    status(
      `${state.shadow} is another name of ${state._id} on this server (its rename keeps the old name's storage): left in place; dropping it would empty ${state._id}`,
    );
    return;
  }
  status(`dropping ${state.shadow}, re-created by a write that came after the switch`);
  await stray.drop();
}

/**
 * After the switch: the marker index goes, and once every instance stopped writing to the new
 * name (two discovery intervals), the collection a late copy re-created under it is dropped.
 */
async function finish(db: Db, state: MongoReindexState, options: MongoReindexOptions): Promise<void> {
  await db
    .collection(state._id)
    .dropIndex(SWITCH_MARKER_INDEX)
    .catch((error: unknown) => {
      if (codeOf(error) !== INDEX_NOT_FOUND && codeOf(error) !== NAMESPACE_NOT_FOUND) throw error;
    });
  const left = (state.switchedAtMs ?? Date.now()) + 2 * options.discoveryMs - Date.now();
  if (left > 0) {
    options.onStatus(
      `waiting ${Math.ceil(left / 1000)}s until no instance writes to ${state.shadow} any more`,
    );
    await sleep(left);
  }
  await dropStray(db, state, options.onStatus);
  // A truncate during the reindex left a mark under the new name too; the live name's stays.
  await db.collection<{ _id: string }>(TRUNCATE_MARKS).deleteOne({ _id: state.shadow });
  await save(db, { ...state, phase: 'done' });
}
