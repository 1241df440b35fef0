// While a reindex runs (an alias "<index>-reindex" exists), the sink writes every operation on
// <index> to the reindex target as well, with its own version guard; the operation is done only
// when both writes are. A fake client answers the lookups and records the bulk requests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowChange } from '../../../../src/decoder/types.js';
import { TransientSinkError } from '../../../../src/errors.js';
import type { SinkOp } from '../../../../src/sinks/sink.js';
import { fakeSink } from './helpers.js';
import { reloadableUpsert } from '../support/reloadable-upsert.js';

const INDEX = 'cdc.inventory.customers';
const REINDEX = `${INDEX}-reindex`;

const event = {
  kind: 'row',
  op: 'u',
  table: { database: 'db', schema: 'inventory', table: 'customers' },
  key: { columns: [], id: '1' },
  before: null,
  after: {},
  unchangedColumns: [],
  columnTypes: null,
  position: { lsn: 1n, commitTsMs: 0, txId: null, snapshot: false },
  record: { topic: 't', partition: 0, offset: '0' },
} satisfies RowChange;

type Answer = { status: number; error?: { type: string; reason: string } };

class FakeElasticsearch {
  readonly bulks: string[] = [];
  readonly existing = new Set([INDEX, REINDEX]);
  aliasRows = [{ alias: REINDEX }];
  lookups = 0;
  /** The answer to an action on the reindex target. */
  reindexAnswer: Answer = { status: 201 };
  readonly cat = {
    aliases: async () => {
      this.lookups++;
      return this.aliasRows;
    },
  };
  /** Indices whose _meta got a truncate mark. */
  readonly marked: string[] = [];
  readonly indices = {
    exists: async ({ index }: { index: string }) => this.existing.has(index),
    create: async () => ({ acknowledged: true }),
    getMapping: async ({ index }: { index: string }) => ({ [`${index}-v1`]: { mappings: {} } }),
    putMapping: async ({ index }: { index: string }) => {
      this.marked.push(index);
      return { acknowledged: true };
    },
    refresh: async () => ({}),
  };
  search = async () => ({ hits: { hits: [] } });
  mget = async ({ docs }: { docs: unknown[] }) => ({
    docs: docs.map(() => ({ found: true, _source: { bio: 'stored long text' } })),
  });
  bulk = async ({ body }: { body: string }) => {
    this.bulks.push(body);
    const actions = body
      .split('\n')
      .filter((line) => line.startsWith('{"index"') || line.startsWith('{"delete"'))
      .map((line) => JSON.parse(line) as Record<string, { _index: string }>);
    return {
      items: actions.map((action) => {
        const [kind, meta] = Object.entries(action)[0]!;
        return { [kind]: meta._index === REINDEX ? this.reindexAnswer : { status: 200 } };
      }),
    };
  };
  close = async () => undefined;
}

const upsert = (id: string, unchangedColumns: string[] = []): SinkOp => ({
  kind: 'upsert',
  target: INDEX,
  id,
  position: 500n,
  document: { id: Number(id), name: 'n' },
  unchangedColumns,
  event,
});

describe('Elasticsearch dual write during a reindex', () => {
  test('each operation goes to the alias and the reindex target, each with its version', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    const results = await sink.write([
      upsert('1'),
      { kind: 'delete', target: INDEX, id: '2', position: 501n, event },
    ]);
    assert.deepEqual(results, [{ status: 'written' }, { status: 'written' }]);
    const actions = fake.bulks
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_index"'));
    assert.deepEqual(actions, [
      `{"index":{"_index":"${INDEX}","_id":"1","version":500,"version_type":"external"}}`,
      `{"delete":{"_index":"${INDEX}","_id":"2","version":501,"version_type":"external"}}`,
      // require_alias: a write after the reindex ended must not create a plain index.
      `{"index":{"_index":"${REINDEX}","_id":"1","version":500,"version_type":"external","require_alias":true}}`,
      `{"delete":{"_index":"${REINDEX}","_id":"2","version":501,"version_type":"external"}}`,
    ]);
  });

  test('an operation that lets go of its document once sent still has it copied, and is let go once', async () => {
    const fake = new FakeElasticsearch();
    const { op, redecodes } = reloadableUpsert(INDEX, '1', 500n, { id: 1, name: 'n' });
    assert.deepEqual(await fakeSink(fake).write([op]), [{ status: 'written' }]);
    const sources = fake.bulks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{"id"'));
    assert.deepEqual(sources, ['{"id":1,"name":"n"}', '{"id":1,"name":"n"}']);
    assert.equal(redecodes(), 0);
    assert.deepEqual(op.document, { id: 1, name: 'n' });
    assert.equal(redecodes(), 1, 'let go of once the lines were built');
  });

  test('the copy keeps the TOAST columns stored in the alias (the complete index)', async () => {
    const fake = new FakeElasticsearch();
    await fakeSink(fake).write([upsert('1', ['bio'])]);
    const sources = fake.bulks[0]!.split('\n').filter((line) => line.startsWith('{"id"'));
    assert.deepEqual(sources, [
      '{"id":1,"name":"n","bio":"stored long text"}',
      '{"id":1,"name":"n","bio":"stored long text"}',
    ]);
  });

  test('a copy that finds its target gone fails transiently, and the retry looks again', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    fake.reindexAnswer = {
      status: 404,
      error: { type: 'index_not_found_exception', reason: 'no such index [x] and [require_alias] is true' },
    };
    const [result] = await sink.write([upsert('1')]);
    assert.equal(result?.status, 'failed');
    assert.ok(result?.status === 'failed' && result.error instanceof TransientSinkError);
    // The reindex ended: the retry writes through the alias alone.
    fake.aliasRows = [];
    fake.existing.delete(REINDEX);
    fake.bulks.length = 0;
    assert.deepEqual(await sink.write([upsert('1')]), [{ status: 'written' }]);
    assert.equal(fake.lookups, 2);
    assert.ok(!fake.bulks.join('').includes(REINDEX));
  });

  test('a version conflict on one side is no failure: the operation is done', async () => {
    const fake = new FakeElasticsearch();
    fake.reindexAnswer = { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'r' } };
    assert.deepEqual(await fakeSink(fake).write([upsert('1')]), [{ status: 'written' }]);
  });

  test('the lookup is trusted for the discovery interval, then made again', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake, { reindexDiscoveryMs: 60_000 });
    await sink.write([upsert('1')]);
    await sink.write([upsert('2')]);
    assert.equal(fake.lookups, 1);
    const eager = fakeSink(fake, { reindexDiscoveryMs: 1 });
    await eager.write([upsert('1')]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await eager.write([upsert('2')]);
    assert.equal(fake.lookups, 3);
  });

  test('a reindex target that is gone is never created', async () => {
    const fake = new FakeElasticsearch();
    fake.existing.delete(REINDEX);
    let created = false;
    fake.indices.create = async () => {
      created = true;
      return { acknowledged: true };
    };
    const [result] = await fakeSink(fake).write([upsert('1')]);
    assert.ok(result?.status === 'failed' && result.error instanceof TransientSinkError);
    assert.equal(created, false);
  });

  test('a truncate is applied to the reindex target too', async () => {
    const fake = new FakeElasticsearch();
    await fakeSink(fake).truncate(INDEX, { position: 900n, commitTsMs: 1 });
    assert.deepEqual(fake.marked, [INDEX, REINDEX]);
  });
});
