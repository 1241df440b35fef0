// The Elasticsearch sink against a fake client that, like a node, refuses request bodies over its
// http.max_content_length with 413: a too-large request is split, a single document over the limit
// is a permanent failure (dead letter) naming its size and the limit, the rest is written.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { RowChange } from '../../../../src/decoder/types.js';
import type { Document } from '../../../../src/router/document.js';
import { smallestMaxContentLength } from '../../../../src/sinks/elasticsearch/sink.js';
import type { SinkOp } from '../../../../src/sinks/sink.js';
import { clientError, fakeSink } from './helpers.js';

const upsert = (id: string, document: Document): SinkOp => ({
  kind: 'upsert',
  target: 'inventory.customers',
  id,
  position: 10n,
  document,
  unchangedColumns: [],
  event: {} as RowChange,
});

/** A node with the given http.max_content_length; `nodesInfo` false: GET _nodes/http refused. */
function fakeNode(maxContentLength: number, nodesInfo = true) {
  const requests: number[] = [];
  const client = {
    cluster: { health: async () => ({ status: 'green' }) },
    nodes: {
      info: async () => {
        if (!nodesInfo) throw clientError(403);
        return { nodes: { a: { http: { max_content_length_in_bytes: maxContentLength } } } };
      },
    },
    indices: { exists: async () => true },
    cat: { aliases: async () => [] },
    bulk: async ({ body }: { body: string }) => {
      const bytes = Buffer.byteLength(body);
      if (bytes > maxContentLength) throw clientError(413);
      requests.push(bytes);
      const actions = body.split('\n').filter((line) => line.startsWith('{"index"'));
      return { items: actions.map(() => ({ index: { status: 201 } })) };
    },
  } as unknown as Client;
  return { client, requests };
}

const sinkFor = (client: Client, bulkMaxBytes: number) => fakeSink(client, { bulkMaxBytes });

describe('ElasticsearchSink: request size limits', () => {
  for (const nodesInfo of [true, false]) {
    test(`a single document over http.max_content_length is permanent, the others are written (limit ${nodesInfo ? 'read at connect' : 'unknown: found by 413'})`, async () => {
      const { client } = fakeNode(64 * 1024, nodesInfo);
      const sink = sinkFor(client, 1024 * 1024);
      await sink.connect();
      const results = await sink.write([
        upsert('1', { id: 1 }),
        upsert('2', { id: 2, big: 'x'.repeat(100 * 1024) }),
        upsert('3', { id: 3 }),
      ]);
      assert.deepEqual(results[0], { status: 'written' });
      assert.deepEqual(results[2], { status: 'written' });
      const failed = results[1]!;
      assert.equal(failed.status, 'failed');
      assert.ok(
        failed.status === 'failed' && !failed.error.retriable,
        'permanent: dead-lettered, not retried',
      );
      const message = failed.status === 'failed' ? failed.error.message : '';
      assert.match(message, /too large: its bulk request is 10\d{4} bytes, refused with 413/);
      if (nodesInfo) assert.match(message, /http\.max_content_length 65536 bytes/);
      else assert.match(message, /http\.max_content_length of the server or a proxy/);
    });
  }

  test("bulk requests are capped at the server's limit when ELASTICSEARCH_BULK_MAX_BYTES is above it", async () => {
    const { client, requests } = fakeNode(10 * 1024);
    const sink = sinkFor(client, 1024 * 1024);
    await sink.connect();
    const ops = Array.from({ length: 40 }, (_, index) =>
      upsert(String(index), { id: index, pad: 'p'.repeat(900) }),
    );
    const results = await sink.write(ops);
    assert.ok(results.every((result) => result.status === 'written'));
    assert.ok(requests.length >= 4, `${requests.length} requests`);
    assert.ok(requests.every((bytes) => bytes <= 10 * 1024));
  });

  test('smallestMaxContentLength reads GET _nodes/http', () => {
    assert.equal(
      smallestMaxContentLength({
        nodes: {
          a: { http: { max_content_length_in_bytes: 104857600 } },
          b: { http: { max_content_length_in_bytes: 16777216 } },
        },
      }),
      16777216,
    );
    assert.equal(smallestMaxContentLength({ nodes: {} }), null);
    assert.equal(smallestMaxContentLength({}), null);
    assert.equal(smallestMaxContentLength(null), null);
  });
});
