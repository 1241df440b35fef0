// Checks the stack's Elasticsearch node (stack/components/elasticsearch.sh) with the client the
// product uses: it answers like a real 8.18.1 node, finds what it indexed, and enforces external
// versioning, which the sinks rely on to drop out-of-order change events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, errors } from '@elastic/elasticsearch';
import { SNAPSHOT_POSITION } from '../../../src/sinks/sink.js';

const esUrl = process.env.ES_URL ?? 'http://127.0.0.1:9200';
const index = `stack-check-${randomUUID()}`;
const client = new Client({ node: esUrl });

test.after(async () => {
  await client.indices.delete({ index }, { ignore: [404] });
  await client.close();
});

test('GET / names version 8.18.1 and the product header the v8 client checks', async () => {
  const response = await fetch(`${esUrl}/`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-elastic-product'), 'Elasticsearch');
  const body = (await response.json()) as { version: { number: string }; tagline: string };
  assert.equal(body.version.number, '8.18.1');

  const info = await client.info();
  assert.equal(info.version.number, '8.18.1');
});

test('a document indexed with refresh is found by a search', async () => {
  await client.index({
    index,
    id: 'order-1',
    document: { customer: 'Ada Lovelace', total: 42 },
    refresh: 'wait_for',
  });
  const result = await client.search<{ customer: string; total: number }>({
    index,
    query: { match: { customer: 'lovelace' } },
  });
  assert.equal(result.hits.hits.length, 1);
  assert.equal(result.hits.hits[0]?._id, 'order-1');
  assert.deepEqual(result.hits.hits[0]?._source, { customer: 'Ada Lovelace', total: 42 });
});

test('external versioning rejects an older version with a 409 version conflict', async () => {
  const written = await client.index({
    index,
    id: 'order-2',
    document: { customer: 'Grace Hopper', total: 7 },
    version: 10,
    version_type: 'external',
    refresh: true,
  });
  assert.equal(written._version, 10);

  await assert.rejects(
    client.index({
      index,
      id: 'order-2',
      document: { customer: 'stale', total: 0 },
      version: 9,
      version_type: 'external',
    }),
    (err: unknown) => {
      assert.ok(err instanceof errors.ResponseError);
      assert.equal(err.meta.statusCode, 409);
      assert.equal(
        (err.meta.body as { error: { type: string } }).error.type,
        'version_conflict_engine_exception',
      );
      return true;
    },
  );

  const current = await client.get<{ customer: string }>({ index, id: 'order-2' });
  assert.equal(current._version, 10);
  assert.equal(current._source?.customer, 'Grace Hopper');
});

test('snapshot reads at SNAPSHOT_POSITION (external_gte): fill and refresh, never replace a streamed change, always replaced by one', async () => {
  const snapshotVersion = Number(SNAPSHOT_POSITION);
  const status = async (
    id: string,
    version: number,
    versionType: 'external' | 'external_gte',
    total: number,
  ) => {
    try {
      await client.index({ index, id, document: { total }, version, version_type: versionType });
      return 'written';
    } catch (error) {
      if (error instanceof errors.ResponseError && error.meta.statusCode === 409) return 'conflict';
      throw error;
    }
  };
  // Absent: the snapshot fills it in; a second snapshot refreshes it.
  assert.equal(await status('snap-1', snapshotVersion, 'external_gte', 1), 'written');
  assert.equal(await status('snap-1', snapshotVersion, 'external_gte', 2), 'written');
  // The lowest possible WAL position replaces it (a transaction open across the snapshot).
  assert.equal(await status('snap-1', 0x1000000, 'external', 3), 'written');
  // A later snapshot no longer replaces the streamed change.
  assert.equal(await status('snap-1', snapshotVersion, 'external_gte', 4), 'conflict');
  const current = await client.get<{ total: number }>({ index, id: 'snap-1' });
  assert.equal(current._source?.total, 3);
  // A document written without external versioning (the application's, version 1..n) is taken over.
  await client.index({ index, id: 'snap-2', document: { total: 0 } });
  assert.equal(await status('snap-2', snapshotVersion, 'external_gte', 5), 'written');
});
