// Reads documents back from each sink for verify: by id (a page at a time) and all ids (only when
// the counts say a sink holds documents Postgres does not).
import type { Client } from '@elastic/elasticsearch';
import type { Db } from 'mongodb';
import { POSITION_FIELD } from '../sinks/mongodb/sink.js';
import { DELETED_FIELD, LIVE_DOCUMENTS } from '../sinks/mongodb/tombstone.js';

export interface SinkReader {
  readonly sink: string;
  count(target: string): Promise<number>;
  /** The stored documents among `ids`, without the sink's own fields. */
  fetch(target: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
  /** Every id in the target, a page at a time, including documents written just before. */
  ids(target: string): AsyncGenerator<string[]>;
}

function isMissingIndex(error: unknown): boolean {
  return (
    (error as { body?: { error?: { type?: string } } }).body?.error?.type === 'index_not_found_exception'
  );
}

export function elasticsearchReader(client: Client): SinkReader {
  return {
    sink: 'elasticsearch',
    async count(index) {
      try {
        await client.indices.refresh({ index });
        return (await client.count({ index })).count;
      } catch (error) {
        if (isMissingIndex(error)) return 0;
        throw error;
      }
    },
    async fetch(index, ids) {
      const found = new Map<string, Record<string, unknown>>();
      if (ids.length === 0) return found;
      try {
        const response = await client.mget<Record<string, unknown>>({ index, ids: [...ids] });
        for (const doc of response.docs) {
          if ('found' in doc && doc.found && doc._source) found.set(doc._id, doc._source);
        }
      } catch (error) {
        if (!isMissingIndex(error)) throw error;
      }
      return found;
    },
    async *ids(index) {
      let response;
      try {
        // A search sees only what a refresh made visible: without one, the documents written
        // just before (a resync's last pages) would be missing from the list.
        await client.indices.refresh({ index });
        response = await client.search({ index, scroll: '1m', size: 1000, _source: false });
      } catch (error) {
        if (isMissingIndex(error)) return;
        throw error;
      }
      try {
        while (response.hits.hits.length > 0) {
          yield response.hits.hits.map((hit) => hit._id!);
          response = await client.scroll({ scroll_id: response._scroll_id!, scroll: '1m' });
        }
      } finally {
        if (response._scroll_id)
          await client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
      }
    },
  };
}

export function mongoReader(db: Db): SinkReader {
  const collection = (name: string) => db.collection<{ _id: string } & Record<string, unknown>>(name);
  return {
    sink: 'mongodb',
    // Tombstones (deleted rows, kept for their position) are not documents of the table.
    count: (name) => collection(name).countDocuments(LIVE_DOCUMENTS),
    async fetch(name, ids) {
      const found = new Map<string, Record<string, unknown>>();
      if (ids.length === 0) return found;
      // _id alone, so that any server answers from its _id index; tombstones are dropped here.
      for (const doc of await collection(name)
        .find({ _id: { $in: [...ids] } })
        .toArray()) {
        const { _id, [POSITION_FIELD]: _position, ...fields } = doc;
        if (fields[DELETED_FIELD] !== true) found.set(_id, fields);
      }
      return found;
    },
    async *ids(name) {
      let page: string[] = [];
      for await (const doc of collection(name).find(LIVE_DOCUMENTS, { projection: { _id: 1 } })) {
        page.push(doc._id);
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
  };
}
