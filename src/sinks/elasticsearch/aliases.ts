// Index names behind the aliases the sink writes to. Every index the sink creates is a concrete
// `<name>-v<N>` fronted by the alias `<name>`, so that a reindex can build `<name>-v<N+1>` beside it
// and move the alias in one atomic `_aliases` call: readers of `<name>` never see a missing or
// half-built index. While a reindex runs, the alias `<name>-reindex` names the index being built,
// and every instance of the service writes each change to it as well (see sink.ts).
import type { SinkOpResult } from '../sink.js';

export const REINDEX_SUFFIX = '-reindex';

/** The alias of the index a reindex of `name` is building. */
export function reindexAlias(name: string): string {
  return `${name}${REINDEX_SUFFIX}`;
}

export function versionedIndex(name: string, version: number): string {
  return `${name}-v${version}`;
}

/** The version after the highest `<name>-v<N>` among `indices` (1 when there is none). */
export function nextVersion(name: string, indices: readonly string[]): number {
  let highest = 0;
  for (const index of indices) {
    if (!index.startsWith(`${name}-v`)) continue;
    const digits = index.slice(name.length + 2);
    if (/^[1-9]\d*$/.test(digits)) highest = Math.max(highest, Number(digits));
  }
  return highest + 1;
}

/** From `GET _cat/aliases/*-reindex` rows: each alias being reindexed and its reindex alias. */
export function reindexTargets(rows: ReadonlyArray<{ alias?: string }>): Map<string, string> {
  const targets = new Map<string, string>();
  for (const { alias } of rows) {
    if (alias && alias.endsWith(REINDEX_SUFFIX) && alias.length > REINDEX_SUFFIX.length)
      targets.set(alias.slice(0, -REINDEX_SUFFIX.length), alias);
  }
  return targets;
}

export type AliasAction =
  | { add: { index: string; alias: string; is_write_index?: boolean } }
  | { remove: { index: string; alias: string } }
  | { remove_index: { index: string } };

/**
 * The one `_aliases` request that finishes a reindex: `name` moves to `target` (its write index),
 * the reindex alias goes. `current` are the indices `name` fronts now; `plain` says `name` is
 * itself a concrete index (made before indices were alias-fronted): it is deleted in the same
 * call, since an alias cannot take its name while it exists.
 */
export function switchActions(
  name: string,
  target: string,
  current: readonly string[],
  plain: boolean,
): AliasAction[] {
  const actions: AliasAction[] = [];
  if (plain) actions.push({ remove_index: { index: name } });
  for (const index of current) if (index !== target) actions.push({ remove: { index, alias: name } });
  actions.push({ add: { index: target, alias: name, is_write_index: true } });
  actions.push({ remove: { index: target, alias: reindexAlias(name) } });
  return actions;
}

/**
 * One operation written twice (to the alias and to the index a reindex builds) succeeded only if
 * both writes did. A transient failure wins over a permanent one: the retry writes both again
 * (each guarded by its version), and a document refused for good is refused again then.
 */
export function combineResults(main: SinkOpResult, copy: SinkOpResult): SinkOpResult {
  if (main.status === 'failed' && copy.status === 'failed')
    return main.error.retriable || !copy.error.retriable ? main : copy;
  if (main.status === 'failed') return main;
  if (copy.status === 'failed') return copy;
  return main.status === 'written' || copy.status === 'written' ? { status: 'written' } : main;
}
