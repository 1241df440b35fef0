// Removes what a test run created in the shared stack. Elasticsearch 8 refuses wildcard deletes
// (action.destructive_requires_name defaults to true), so indices are resolved to their names
// first; every failure is reported on stderr instead of being swallowed.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Admin } from 'kafkajs';
import type { MongoClient } from 'mongodb';

function warn(what: string, error: unknown): void {
  console.warn(`# cleanup: ${what} failed: ${String((error as Error)?.message ?? error)}`);
}

/** Deletes every index matching `pattern` (e.g. "<run>-*"), by name. */
export async function deleteIndices(es: EsClient, pattern: string): Promise<void> {
  try {
    const names = Object.keys(await es.indices.get({ index: pattern, expand_wildcards: 'all' }));
    for (let start = 0; start < names.length; start += 50) {
      await es.indices.delete({ index: names.slice(start, start + 50) });
    }
  } catch (error) {
    warn(`deleting indices ${pattern}`, error);
  }
}

export async function dropDatabases(mongo: MongoClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await mongo
      .db(name)
      .dropDatabase()
      .catch((error: unknown) => warn(`dropping database ${name}`, error));
  }
}

/** Deletes consumer groups (they must have no members left) and those of `topics` that exist. */
export async function deleteGroupsAndTopics(
  admin: Admin,
  groupIds: readonly string[],
  wanted: readonly string[],
): Promise<void> {
  if (groupIds.length > 0) {
    await admin.deleteGroups([...groupIds]).catch((error: unknown) => warn('deleting groups', error));
  }
  const existing = new Set(await admin.listTopics().catch(() => [...wanted]));
  const topics = wanted.filter((topic) => existing.has(topic));
  if (topics.length > 0) {
    await admin
      .deleteTopics({ topics: [...topics], timeout: 30_000 })
      .catch((error: unknown) => warn(`deleting topics ${topics.join(', ')}`, error));
  }
}
