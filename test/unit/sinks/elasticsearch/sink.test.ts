// The Elasticsearch sink maps declared float fields explicitly before the first document of an
// index (and again when a schema version adds one), caches what it mapped, and dead-letters
// documents whose field an existing index maps otherwise. A fake client records the requests.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnType, ColumnTypes, RowChange } from '../../../../src/decoder/types.js';
import { PermanentSinkError, TransientSinkError } from '../../../../src/errors.js';
import type { SinkOp, UpsertOp } from '../../../../src/sinks/sink.js';
import type { Document } from '../../../../src/router/document.js';
import type { DecimalMode } from '../../../../src/config/tables.js';
import { clientError, fakeSink } from './helpers.js';

const int: ColumnType = { type: 'int32', logical: null, optional: false, value: 'integer' };
const double: ColumnType = { type: 'float64', logical: null, optional: true, value: 'float' };
const real: ColumnType = { type: 'float32', logical: null, optional: true, value: 'float' };
const text: ColumnType = { type: 'string', logical: null, optional: true, value: 'string' };
const decimal: ColumnType = {
  type: 'bytes',
  logical: 'org.apache.kafka.connect.data.Decimal',
  optional: true,
  value: 'decimal',
};

function responseError(statusCode: number, type: string, reason = 'r') {
  return clientError(statusCode, { error: { type, reason } });
}

type Properties = Record<string, { type?: string; ignore_malformed?: boolean; properties?: Properties }>;

/**
 * Just enough of the client: indices create (with aliases) / exists / get and put mapping, the
 * reindex alias lookup, bulk (always 201). Lookups (exists, cat) are not recorded in `calls`.
 */
class FakeElasticsearch {
  readonly calls: string[] = [];
  /** Concrete index by alias. */
  readonly aliases = new Map<string, string>();
  /** Rows of GET _cat/aliases/*-reindex. */
  reindexRows: Array<{ alias: string }> = [];
  private resolve(index: string): string {
    return this.aliases.get(index) ?? index;
  }
  readonly cat = { aliases: async () => this.reindexRows };
  readonly puts: Array<{ index: string; properties: Properties }> = [];
  readonly bulks: string[] = [];
  readonly properties = new Map<string, Properties>();
  /** Answers the next put mapping / get mapping request with this error instead. */
  failPut: Error | null = null;
  failGet: Error | null = null;
  /** Runs before a put mapping is answered (another writer mapping a field first). */
  beforePut: (() => void) | null = null;

  readonly indices = {
    exists: async ({ index }: { index: string }) => this.properties.has(this.resolve(index)),
    create: async ({ index, aliases }: { index: string; aliases?: Record<string, unknown> }) => {
      this.calls.push(`create ${index}`);
      if (this.properties.has(index)) throw responseError(400, 'resource_already_exists_exception');
      this.properties.set(index, {});
      for (const alias of Object.keys(aliases ?? {})) this.aliases.set(alias, index);
      return { acknowledged: true };
    },
    getMapping: async ({ index }: { index: string }) => {
      this.calls.push(`getMapping ${index}`);
      const failure = this.failGet;
      this.failGet = null;
      if (failure) throw failure;
      const properties = this.properties.get(this.resolve(index));
      if (!properties) throw responseError(404, 'index_not_found_exception');
      return { [this.resolve(index)]: { mappings: { properties } } };
    },
    putMapping: async ({ index, properties }: { index: string; properties: Properties }) => {
      this.calls.push(`putMapping ${index} ${JSON.stringify(properties)}`);
      this.beforePut?.();
      this.beforePut = null;
      const failure = this.failPut;
      this.failPut = null;
      if (failure) throw failure;
      const existing = this.properties.get(this.resolve(index))!;
      for (const [name, mapping] of Object.entries(properties)) {
        const have = existing[name];
        if (have && have.type !== mapping.type)
          throw responseError(400, 'illegal_argument_exception', `mapper [${name}] cannot be changed`);
        existing[name] = mapping;
      }
      this.puts.push({ index, properties });
      return { acknowledged: true };
    },
  };

  bulk = async ({ body }: { body: string }) => {
    this.calls.push('bulk');
    this.bulks.push(body);
    const actions = body
      .split('\n')
      .filter((line) => line.startsWith('{"index"') || line.startsWith('{"delete"'));
    return {
      errors: false,
      items: actions.map((line) =>
        line.startsWith('{"index"') ? { index: { status: 201 } } : { delete: { status: 200 } },
      ),
    };
  };

  close = async () => undefined;
}

function event(columnTypes: ColumnTypes | null): RowChange {
  return {
    kind: 'row',
    op: 'c',
    table: { database: 'db', schema: 'inventory', table: 'hard_types' },
    key: { columns: [], id: '1' },
    before: null,
    after: {},
    unchangedColumns: [],
    columnTypes,
    position: { lsn: 1n, commitTsMs: 0, txId: null, snapshot: false },
    record: { topic: 't', partition: 0, offset: '0' },
  };
}

let lsn = 100n;

function upsert(
  columnTypes: ColumnTypes | null,
  document: Document,
  options: {
    target?: string;
    id?: string;
    decimal?: DecimalMode;
    renames?: ReadonlyMap<string, string>;
    unchanged?: string[];
  } = {},
): UpsertOp {
  return {
    kind: 'upsert',
    target: options.target ?? 'cdc.inventory.hard_types',
    id: options.id ?? String(document['id']),
    position: lsn++,
    document,
    unchangedColumns: options.unchanged ?? [],
    event: event(columnTypes),
    ...(options.decimal ? { decimal: options.decimal } : {}),
    ...(options.renames ? { renames: options.renames } : {}),
  };
}

function remove(id: string, target = 'cdc.inventory.hard_types'): SinkOp {
  return { kind: 'delete', target, id, position: lsn++, event: event(null) };
}

const v1: ColumnTypes = new Map([
  ['id', int],
  ['real_num', double],
  ['name', text],
]);

describe('ElasticsearchSink mappings', () => {
  test('a new index gets float columns mapped as double before its first document', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    const results = await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.deepEqual(results, [{ status: 'written' }]);
    assert.deepEqual(fake.calls, [
      'create cdc.inventory.hard_types-v1',
      'putMapping cdc.inventory.hard_types {"real_num":{"type":"double","ignore_malformed":true}}',
      'bulk',
    ]);
  });

  test('mapped once per schema version: later batches go straight to bulk', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    fake.calls.length = 0;
    await sink.write([
      upsert(v1, { id: 2, real_num: 1e300, name: 'b' }),
      upsert(v1, { id: 3, real_num: 0.5, name: 'c' }),
    ]);
    assert.deepEqual(fake.calls, ['bulk']);
  });

  test('a schema version that adds a float column maps just that column', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    fake.calls.length = 0;
    const v2: ColumnTypes = new Map([...v1, ['ratio', real]]);
    const results = await sink.write([upsert(v2, { id: 2, real_num: 2, name: 'b', ratio: 3 })]);
    assert.deepEqual(results, [{ status: 'written' }]);
    assert.deepEqual(fake.calls, [
      'putMapping cdc.inventory.hard_types {"ratio":{"type":"double","ignore_malformed":true}}',
      'bulk',
    ]);
    // a schema version with the same fields (another column, not a float) needs no request
    fake.calls.length = 0;
    const v3: ColumnTypes = new Map([...v2, ['note', text]]);
    await sink.write([upsert(v3, { id: 3, real_num: 2, name: 'b', ratio: 3, note: 'x' })]);
    assert.deepEqual(fake.calls, ['bulk']);
  });

  test('an existing index is read first; fields it already maps as double are left alone', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', { real_num: { type: 'double', ignore_malformed: true } });
    const sink = fakeSink(fake);
    await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.deepEqual(fake.calls, ['getMapping cdc.inventory.hard_types', 'bulk']);
  });

  test('a renamed float column is mapped under its new field name, also when only listed as unchanged (TOAST)', async () => {
    const fake = new FakeElasticsearch();
    const sink = fakeSink(fake);
    const renames = new Map([['real_num', 'realNum']]);
    const results = await sink.write([upsert(v1, { id: 1, realNum: 1, name: 'a' }, { renames })]);
    assert.deepEqual(results, [{ status: 'written' }]);
    assert.deepEqual(fake.calls, [
      'create cdc.inventory.hard_types-v1',
      'putMapping cdc.inventory.hard_types {"realNum":{"type":"double","ignore_malformed":true}}',
      'bulk',
    ]);
    const other = new FakeElasticsearch();
    await fakeSink(other).write([upsert(v1, { id: 1, name: 'a' }, { renames, unchanged: ['realNum'] })]);
    assert.ok(
      other.calls.includes(
        'putMapping cdc.inventory.hard_types {"realNum":{"type":"double","ignore_malformed":true}}',
      ),
      other.calls.join('\n'),
    );
  });

  test('a renamed field the index maps otherwise is dead-lettered naming the field and the column', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', { realNum: { type: 'long' } });
    const renames = new Map([['real_num', 'realNum']]);
    const results = await fakeSink(fake).write([
      upsert(v1, { id: 1, realNum: 1, name: 'a' }, { renames }),
      upsert(v1, { id: 2, realNum: null, name: 'b' }, { renames }),
    ]);
    const error = results[0]?.status === 'failed' ? results[0].error : null;
    assert.ok(error instanceof PermanentSinkError);
    assert.match(
      error.message,
      /maps field "realNum" as long, but column real_num \(stored as "realNum"\) of table inventory\.hard_types is float64 and needs double/,
    );
    assert.deepEqual(results[1], { status: 'written' });
  });

  test('a field the index maps otherwise: documents with a value there are dead-lettered, naming it', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', { real_num: { type: 'long' } });
    const sink = fakeSink(fake);
    const results = await sink.write([
      upsert(v1, { id: 1, real_num: 1, name: 'a' }),
      upsert(v1, { id: 2, real_num: null, name: 'b' }),
      remove('3'),
    ]);
    assert.equal(results[0]?.status, 'failed');
    const error = results[0]?.status === 'failed' ? results[0].error : null;
    assert.ok(error instanceof PermanentSinkError);
    assert.match(
      error.message,
      /index cdc\.inventory\.hard_types maps field "real_num" as long, but column real_num of table inventory\.hard_types is float64 and needs double/,
    );
    assert.deepEqual(results.slice(1), [{ status: 'written' }, { status: 'written' }]);
    assert.equal(fake.puts.length, 0, 'an existing field is never changed');
    assert.equal(fake.bulks.length, 1);
    assert.doesNotMatch(fake.bulks[0]!, /"_id":"1"/);

    // nothing is cached while the conflict lasts: once the index is fixed, documents go through
    fake.properties.set('cdc.inventory.hard_types', { real_num: { type: 'double', ignore_malformed: true } });
    fake.calls.length = 0;
    assert.deepEqual(await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]), [
      { status: 'written' },
    ]);
    assert.deepEqual(fake.calls, ['getMapping cdc.inventory.hard_types', 'bulk']);
  });

  test('a conflict on an enclosing object names both paths', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', { geo: { type: 'keyword' } });
    const sink = fakeSink(fake);
    const point: ColumnType = {
      type: 'struct',
      logical: 'io.debezium.data.geometry.Point',
      optional: true,
      value: 'struct',
      fields: new Map([['x', double]]),
    };
    const [result] = await sink.write([
      upsert(
        new Map([
          ['id', int],
          ['geo', point],
        ]),
        { id: 1, geo: { x: 1 } },
      ),
    ]);
    assert.equal(result?.status, 'failed');
    assert.match(
      result?.status === 'failed' ? result.error.message : '',
      /maps field "geo" \(enclosing "geo\.x"\) as keyword, but column geo .* is struct \(io\.debezium\.data\.geometry\.Point\) and needs double/,
    );
  });

  test('another writer maps the field between read and put: the conflict is found, not retried forever', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', {});
    fake.beforePut = () => fake.properties.set('cdc.inventory.hard_types', { real_num: { type: 'long' } });
    const sink = fakeSink(fake);
    const [result] = await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.equal(result?.status === 'failed' && result.error instanceof PermanentSinkError, true);
    assert.match(result?.status === 'failed' ? result.error.message : '', /maps field "real_num" as long/);
  });

  test('a put mapping refused for another reason is permanent and says so', async () => {
    const fake = new FakeElasticsearch();
    fake.failPut = responseError(
      400,
      'illegal_argument_exception',
      'Limit of total fields [1000] has been exceeded',
    );
    const sink = fakeSink(fake);
    const [result] = await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.equal(result?.status === 'failed' && result.error instanceof PermanentSinkError, true);
    assert.match(
      result?.status === 'failed' ? result.error.message : '',
      /refused mappings for real_num \(double\).*Limit of total fields/,
    );
  });

  test('an unreachable or failing Elasticsearch while mapping is transient, for that index only', async () => {
    const fake = new FakeElasticsearch();
    fake.failPut = responseError(503, 'unavailable_shards_exception');
    const sink = fakeSink(fake);
    const results = await sink.write([
      upsert(v1, { id: 1, real_num: 1, name: 'a' }),
      upsert(new Map([['id', int]]), { id: 2 }, { target: 'other' }),
    ]);
    assert.equal(results[0]?.status === 'failed' && results[0].error instanceof TransientSinkError, true);
    assert.deepEqual(results[1], { status: 'written' });
    // not cached: the retry maps the field and writes
    fake.calls.length = 0;
    assert.deepEqual(await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]), [
      { status: 'written' },
    ]);
    assert.deepEqual(fake.calls, [
      'putMapping cdc.inventory.hard_types {"real_num":{"type":"double","ignore_malformed":true}}',
      'bulk',
    ]);
  });

  test('an index deleted behind the sink is created again on the retry', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', {});
    const sink = fakeSink(fake);
    fake.failGet = responseError(404, 'index_not_found_exception');
    const [result] = await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.equal(result?.status === 'failed' && result.error instanceof TransientSinkError, true);
    fake.properties.delete('cdc.inventory.hard_types');
    fake.calls.length = 0;
    await sink.write([upsert(v1, { id: 1, real_num: 1, name: 'a' })]);
    assert.equal(fake.calls[0], 'create cdc.inventory.hard_types-v1');
  });

  test('decimals are mapped as double when the route writes them as numbers', async () => {
    const columns: ColumnTypes = new Map([
      ['id', int],
      ['price', decimal],
    ]);
    const asString = new FakeElasticsearch();
    await fakeSink(asString).write([upsert(columns, { id: 1, price: '1.50' })]);
    assert.equal(asString.puts.length, 0);
    const asDouble = new FakeElasticsearch();
    await fakeSink(asDouble).write([upsert(columns, { id: 1, price: 2 }, { decimal: 'double' })]);
    assert.deepEqual(asDouble.puts[0]?.properties, { price: { type: 'double', ignore_malformed: true } });
  });

  test('columns the route leaves out are not mapped', async () => {
    const fake = new FakeElasticsearch();
    await fakeSink(fake).write([upsert(v1, { id: 1, name: 'a' })]);
    assert.equal(fake.puts.length, 0);
  });

  test('events without a schema keep the dynamic mapping (the index template maps doubles)', async () => {
    const fake = new FakeElasticsearch();
    await fakeSink(fake).write([upsert(null, { id: 1, real_num: 1 })]);
    assert.deepEqual(fake.calls, ['create cdc.inventory.hard_types-v1', 'bulk']);
  });
});

describe('ElasticsearchSink and values JSON cannot carry', () => {
  test('NaN and ±Infinity are written as the strings Debezium uses (never null), into a double with ignore_malformed', async () => {
    const client = new FakeElasticsearch();
    const results = await fakeSink(client).write([
      upsert(v1, { id: 1, real_num: Number.NaN }),
      upsert(v1, { id: 2, real_num: Number.POSITIVE_INFINITY }),
      upsert(v1, { id: 3, real_num: Number.NEGATIVE_INFINITY }),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['written', 'written', 'written'],
    );
    assert.deepEqual(client.puts[0]?.properties, { real_num: { type: 'double', ignore_malformed: true } });
    const sources = client.bulks[0]!.split('\n').filter((_line, index) => index % 2 === 1);
    assert.deepEqual(sources.slice(0, 3), [
      '{"id":1,"real_num":"NaN"}',
      '{"id":2,"real_num":"Infinity"}',
      '{"id":3,"real_num":"-Infinity"}',
    ]);
  });

  test('a double an older index maps without ignore_malformed gets the flag before the first write', async () => {
    const fake = new FakeElasticsearch();
    fake.properties.set('cdc.inventory.hard_types', { real_num: { type: 'double' } });
    await fakeSink(fake).write([upsert(v1, { id: 1, real_num: Number.NaN })]);
    assert.deepEqual(fake.calls, [
      'getMapping cdc.inventory.hard_types',
      'putMapping cdc.inventory.hard_types {"real_num":{"type":"double","ignore_malformed":true}}',
      'bulk',
    ]);
  });
});
