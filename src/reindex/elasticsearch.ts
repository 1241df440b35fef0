// Rebuilds the index behind an alias while the service keeps writing, then moves the alias:
//
// 1. Create `<alias>-v<N+1>` (the service's settings and templates) together with the alias
//    `<alias>-reindex`, its state in the mapping `_meta`. Every running instance finds that alias
//    within ELASTICSEARCH_REINDEX_DISCOVERY_MS and writes each change to the new index too
//    (sink.ts); waiting twice that long means every change written from then on reaches it.
// 2. Backfill from a Postgres snapshot exactly as resync does (resync.ts): at the snapshot
//    position with external_gte, so every streamed change wins, then the sweep of rows gone.
// 3. Verify the new index against Postgres, then move the alias in one `_aliases` call (an old
//    plain index of that name is deleted in the same call): readers switch from a complete index
//    to a complete index and never see a 404. The old indices are deleted after a grace period.
//
// Both indices are written during the reindex, rather than the new one only: until the switch
// the old index is the one readers see, and it must stay current.
//
// A rerun finds the reindex alias (or, after the switch, the state in the index the alias
// fronts) and goes on. A backfill that did not finish goes on after the last row it saved (the
// cursor, in `_meta`) from a new snapshot: the rows before it were written from the first
// snapshot, and every change since then reached the new index through the dual write.
import type { Client } from '@elastic/elasticsearch';
import type pg from 'pg';
import { ReindexError } from '../errors.js';
import type { TableRoute } from '../router/router.js';
import { reindexAlias, nextVersion, switchActions, versionedIndex } from '../sinks/elasticsearch/aliases.js';
import { newIndexBody } from '../sinks/elasticsearch/sink.js';
import type { Sink } from '../sinks/sink.js';
import { elasticsearchReader } from '../verify/sink-readers.js';
import { backfill, sleep, verifyRebuilt, waitForDualWrite, type RebuildOptions } from './rebuild.js';
import { REINDEX_META, stateIn, withState, type ReindexState } from './state.js';

export interface ReindexOptions extends RebuildOptions {
  /** How long the old indices stay after the switch (0: deleted at once). */
  readonly graceMs: number;
  /** ELASTICSEARCH_REINDEX_DISCOVERY_MS: instances write to the new index within this long. */
  readonly discoveryMs: number;
  /** index.gc_deletes of the new index, as the sink sets it. */
  readonly gcDeletes: string;
}

export interface ReindexResult {
  readonly alias: string;
  readonly target: string;
  /** The indices the alias fronted before (deleted unless the grace period was cut short). */
  readonly previous: readonly string[];
  /** Rows the backfill wrote (0 when a rerun found the backfill done). */
  readonly rows: number;
  readonly resumed: boolean;
  readonly backfillMs: number;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** The concrete indices `name` fronts as an alias, or whether it is a plain index itself. */
async function fronted(es: Client, name: string): Promise<{ plain: boolean; indices: string[] }> {
  try {
    return { plain: false, indices: Object.keys(await es.indices.getAlias({ name })) };
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  return { plain: await es.indices.exists({ index: name }), indices: [] };
}

async function readMeta(es: Client, index: string): Promise<Record<string, unknown>> {
  const mappings = await es.indices.getMapping({ index });
  return (Object.values(mappings)[0]?.mappings?._meta as Record<string, unknown> | undefined) ?? {};
}

async function writeState(es: Client, index: string, state: ReindexState): Promise<void> {
  await es.indices.putMapping({ index, _meta: withState(await readMeta(es, index), state) });
}

export async function reindexElasticsearch(
  client: pg.ClientBase,
  es: Client,
  sink: Sink,
  route: TableRoute,
  options: ReindexOptions,
): Promise<ReindexResult> {
  const name = route.target;
  const reindex = reindexAlias(name);
  const status = options.onStatus;
  let target: string;
  let state: ReindexState | undefined;
  let resumed = false;

  const running = await fronted(es, reindex);
  if (running.indices.length > 0) {
    target = running.indices[0]!;
    state = stateIn(await readMeta(es, target));
    if (!state) throw new ReindexError(`${reindex} fronts ${target}, which has no reindex state`);
    resumed = true;
    status(`resuming the reindex of ${name} into ${target} (${state.phase})`);
  } else {
    const current = await fronted(es, name);
    if (!current.plain && current.indices.length === 0)
      throw new ReindexError(
        `index ${name} does not exist: nothing to reindex (the service creates it on its first write)`,
      );
    for (const index of current.indices) {
      const left = stateIn(await readMeta(es, index));
      // A state short of done here: the switch happened (the reindex alias went with it).
      if (left && left.phase !== 'done') {
        status(`${name} was switched to ${index}; deleting the old indices`);
        await finish(es, index, left, options);
        return { alias: name, target: index, previous: left.previous, rows: 0, resumed: true, backfillMs: 0 };
      }
    }
    const existing = Object.keys(
      await es.indices.get({ index: `${name}-v*`, expand_wildcards: 'all', allow_no_indices: true }),
    );
    target = versionedIndex(name, nextVersion(name, existing));
    state = {
      phase: 'backfill',
      alias: name,
      previous: current.plain ? [name] : current.indices,
      createdAtMs: Date.now(),
    };
    // The old index's _meta (its truncate mark) goes along, without an earlier reindex's state.
    const { [REINDEX_META]: _earlier, ...meta } = await readMeta(
      es,
      current.plain ? name : current.indices[0]!,
    );
    const body = newIndexBody(options.gcDeletes);
    await es.indices.create({
      index: target,
      settings: body.settings,
      mappings: { ...body.mappings, _meta: withState(meta, state) },
      aliases: { [reindex]: {} },
    } as never);
    status(`created ${target} (alias ${reindex}) to replace ${state.previous.join(', ')}`);
  }

  let rows = 0;
  let backfillMs = 0;
  if (state.phase === 'backfill') {
    await waitForDualWrite(state.createdAtMs, options.discoveryMs, target, status);
    ({ state, rows, backfillMs } = await backfill(
      client,
      sink,
      elasticsearchReader(es),
      route,
      target,
      state,
      (saved) => writeState(es, target, saved),
      options,
    ));
    state = { ...state, phase: 'verify' };
    await writeState(es, target, state);
  }

  await verifyRebuilt(
    client,
    elasticsearchReader(es),
    route,
    target,
    options,
    `${route.target} still fronts the old index`,
  );

  const current = await fronted(es, name);
  await es.indices.updateAliases({
    actions: switchActions(name, target, current.indices, current.plain) as never,
  });
  state = { ...state, phase: 'switched', switchedAtMs: Date.now() };
  await writeState(es, target, state);
  status(`${name} now fronts ${target}`);
  await finish(es, target, state, options);
  return { alias: name, target, previous: state.previous, rows, resumed, backfillMs };
}

/** Deletes the indices the alias fronted before, once the grace period since the switch ended. */
async function finish(es: Client, target: string, state: ReindexState, options: ReindexOptions) {
  const old = state.previous.filter((index) => index !== state.alias && index !== target);
  const left = (state.switchedAtMs ?? Date.now()) + options.graceMs - Date.now();
  if (old.length > 0 && left > 0) {
    options.onStatus(`keeping ${old.join(', ')} for ${Math.ceil(left / 1000)}s (--grace)`);
    await sleep(left);
  }
  if (old.length > 0) await es.indices.delete({ index: old, ignore_unavailable: true });
  await writeState(es, target, { ...state, phase: 'done' });
}
