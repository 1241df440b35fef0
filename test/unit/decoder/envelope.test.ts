import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord } from '../../../src/decoder/index.js';
import { splitWrapped } from '../../../src/decoder/envelope.js';
import {
  col,
  decodeError,
  decodeOk,
  decodeRow,
  envelope,
  json,
  keySchema,
  message,
  raw,
  required,
  source,
  valueSchema,
  wrap,
} from './helpers.js';

const ID = required(col('id', 'int32'));
const NAME = col('name', 'string');

describe('splitWrapped (the schema-text cache key)', () => {
  test("splits JsonConverter's exact layout without parsing the schema", () => {
    const text =
      '{"schema":{"type":"struct","fields":[{"field":"a}\\"[","type":"string"}]},"payload":{"a":"}"}}';
    assert.deepEqual(splitWrapped(text), {
      schemaText: '{"type":"struct","fields":[{"field":"a}\\"[","type":"string"}]}',
      payloadText: '{"a":"}"}',
    });
    assert.deepEqual(splitWrapped('{"schema":null,"payload":null}'), {
      schemaText: 'null',
      payloadText: 'null',
    });
  });

  test('any other layout is left to the full parser', () => {
    assert.equal(splitWrapped('{"payload":{},"schema":{"type":"struct"}}'), null);
    assert.equal(splitWrapped('{ "schema":{"type":"struct"},"payload":{}}'), null);
    assert.equal(splitWrapped('{"schema":{"type":"struct"}, "payload":{}}'), null);
    assert.equal(splitWrapped('{"schema":{"type":"struct"},"payload":{}}\n'), null);
    assert.equal(splitWrapped('{"schema":{"type":"struct","payload":{}}'), null);
    assert.equal(splitWrapped('{"schema":"x","payload":{}}'), null);
  });
});

describe('the cached-schema fast path', () => {
  test('a schema that itself contains ,"payload": decodes right, first and every later time', () => {
    const tricky = col('payload', 'string', { doc: 'x,"payload":y', parameters: { a: '1', payload: '2' } });
    const columns = [ID, tricky];
    for (let i = 0; i < 3; i++) {
      const row = decodeRow(message({ after: { id: 1, payload: `v${i}` } }, { columns }));
      assert.deepEqual(row.after, { id: 1, payload: `v${i}` });
    }
  });

  test('messages of tables with different schemas, interleaved, each decode with their own', () => {
    const short = [ID, NAME];
    const long = [ID, col('payload', 'string', { doc: ',"payload":{"id":1}' }), col('n', 'int64')];
    for (let i = 0; i < 4; i++) {
      const a = decodeRow(message({ after: { id: i, name: `a${i}` } }, { columns: short }));
      assert.deepEqual(a.after, { id: i, name: `a${i}` });
      const b = decodeRow(
        message({ after: { id: i, payload: 'p', n: 9007199254740993n } }, { columns: long }),
      );
      assert.deepEqual(b.after, { id: i, payload: 'p', n: 9007199254740993n });
    }
  });

  test('multi-byte characters in the schema and the payload, first and every later time', () => {
    const columns = [ID, col('prénom', 'string', { doc: '名前, "payload": ü' })];
    for (let i = 0; i < 3; i++) {
      const row = decodeRow(message({ after: { id: 1, prénom: `Zoë ${i} 😀` } }, { columns }));
      assert.deepEqual(row.after, { id: 1, prénom: `Zoë ${i} 😀` });
    }
  });

  test('bytes that are not UTF-8 decode to U+FFFD, whether the schema is cached or not', () => {
    const text = wrap(valueSchema([ID, NAME]), envelope({ after: { id: 1, name: 'AB' } }));
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf('AB') + 1] = 0xff; // "A\xff"
    for (let i = 0; i < 2; i++) {
      const row = decodeRow({ ...raw('{"id":1}', null), value: bytes });
      assert.equal(row.after?.['name'], 'A\uFFFD');
    }
  });

  test('content after the payload is not cut off once the schema is cached', () => {
    const schema = valueSchema([ID, NAME]);
    const good = wrap(schema, envelope({ after: { id: 1, name: 'a' } }));
    decodeRow(raw('{"id":1}', good)); // caches the schema
    const extra = good.slice(0, -1) + ',"x":1}';
    // three keys: not the wrapper, so a bare envelope without an op
    assert.match(decodeError(raw('{"id":1}', extra)), /The envelope has no "op" field/);
  });
});

describe('both envelope forms, for key and value independently', () => {
  const after = { id: 7, name: 'Sally' };
  const forms: [string, boolean, boolean][] = [
    ['wrapped key, wrapped value', false, false],
    ['bare key, bare value', true, true],
    ['bare key, wrapped value', true, false],
    ['wrapped key, bare value', false, true],
  ];
  for (const [label, bareKey, bareValue] of forms) {
    test(label, () => {
      const row = decodeRow(message({ after }, { columns: [ID, NAME], key: { id: 7 }, bareKey, bareValue }));
      assert.deepEqual(row.after, { id: 7, name: 'Sally' });
      assert.deepEqual(row.key, { columns: [['id', 7]], id: '7' });
      assert.deepEqual(row.table, { database: 'inventory', schema: 'inventory', table: 'things' });
    });
  }

  test('wrapped with another layout (key order, whitespace) decodes the same as the exact layout', () => {
    const schema = valueSchema([ID, NAME]);
    const payload = envelope({ after });
    const reordered = JSON.stringify({ payload, schema }, null, 2);
    const keyText = ` { "payload": {"id": 7}, "schema": ${json(keySchema([ID]))} } `;
    const a = decodeRow(raw(keyText, reordered));
    const b = decodeRow(raw(wrap(keySchema([ID]), { id: 7 }), wrap(schema, payload)));
    assert.deepEqual(a, b);
  });

  test('{"schema": null, "payload": ...} is the bare form', () => {
    const text = `{"schema":null,"payload":${json(envelope({ after: { id: 1, big: 12345678901234567890n } }))}}`;
    const row = decodeRow(raw('{"schema":null,"payload":{"id":1}}', text));
    assert.deepEqual(row.after, { id: 1, big: 12345678901234567890n });
    assert.equal(row.key.id, '1');
  });

  test('a bare key whose columns are called "schema" and "payload" stays bare', () => {
    const row = decodeRow(
      raw(
        json({ schema: 'public', payload: 3 }),
        wrap(null, envelope({ after: { schema: 'public', payload: 3 } })),
      ),
    );
    assert.deepEqual(row.key.columns, [
      ['schema', 'public'],
      ['payload', 3],
    ]);
    assert.equal(row.key.id, '["public","3"]');
  });

  test('without a schema values pass through as parsed: no logical conversion, lossless integers', () => {
    const row = decodeRow(
      message(
        { after: { id: 1, day: 19782, small: 42, big: 9223372036854775807n, exact: 'EtaH' } },
        { columns: null },
      ),
    );
    assert.deepEqual(row.after, { id: 1, day: 19782, small: 42, big: 9223372036854775807n, exact: 'EtaH' });
  });
});

describe('tombstones', () => {
  test('null value', () => {
    assert.deepEqual(decodeOk(raw('{"id":1}', null)), {
      kind: 'tombstone',
      record: { topic: 'cdc.inventory.things', partition: 3, offset: '42' },
    });
  });

  test('empty value buffer', () => {
    assert.equal(decodeOk(raw('{"id":1}', '')).kind, 'tombstone');
  });

  test('wrapped null payload, even with a null key', () => {
    assert.equal(
      decodeOk(raw(null, `{"schema":${json(valueSchema([ID]))},"payload":null}`)).kind,
      'tombstone',
    );
  });
});

describe('ops', () => {
  const columns = [ID, NAME];
  test('r: snapshot read', () => {
    const row = decodeRow(
      message({ op: 'r', after: { id: 1, name: 'a' }, source: source({ snapshot: 'first' }) }, { columns }),
    );
    assert.equal(row.op, 'r');
    assert.equal(row.before, null);
    assert.deepEqual(row.after, { id: 1, name: 'a' });
    assert.equal(row.position.snapshot, true);
  });

  test('c: insert', () => {
    const row = decodeRow(message({ op: 'c', after: { id: 1, name: 'a' } }, { columns }));
    assert.equal(row.op, 'c');
    assert.deepEqual(row.unchangedColumns, []);
  });

  test('u: update, with and without a before image', () => {
    const withBefore = decodeRow(
      message({ op: 'u', before: { id: 1, name: 'a' }, after: { id: 1, name: 'b' } }, { columns }),
    );
    assert.equal(withBefore.op, 'u');
    assert.deepEqual(withBefore.before, { id: 1, name: 'a' });
    assert.deepEqual(withBefore.after, { id: 1, name: 'b' });
    const without = decodeRow(message({ op: 'u', after: { id: 1, name: 'b' } }, { columns }));
    assert.equal(without.before, null);
  });

  test('d: delete', () => {
    const row = decodeRow(message({ op: 'd', before: { id: 1, name: '' }, after: null }, { columns }));
    assert.equal(row.op, 'd');
    assert.deepEqual(row.before, { id: 1, name: '' });
    assert.equal(row.after, null);
    assert.deepEqual(row.unchangedColumns, []);
    assert.equal(row.key.id, '1');
  });

  test('t: truncate, with a null key', () => {
    const event = decodeOk(message({ op: 't' }, { columns, key: null }));
    assert.deepEqual(event, {
      kind: 'truncate',
      table: { database: 'inventory', schema: 'inventory', table: 'things' },
      position: { lsn: 27027216n, commitTsMs: 1795407236647, txId: '783', snapshot: false },
      record: { topic: 'cdc.inventory.things', partition: 3, offset: '42' },
    });
  });

  test('m: a logical decoding message is refused by name', () => {
    const value = json({ op: 'm', ts_ms: 1, source: source(), message: { prefix: 'p', content: 'AA==' } });
    assert.match(decodeError(raw(null, value)), /Unsupported op "m": a logical decoding message/);
  });

  test('unknown, missing and mistyped ops', () => {
    assert.match(
      decodeError(message({ op: 'x', after: { id: 1 } })),
      /Unsupported op "x": expected r, c, u, d or t/,
    );
    assert.match(decodeError(message({ op: 'create' })), /Unsupported op "create"/);
    assert.match(
      decodeError(raw(null, json({ source: source(), after: {} }))),
      /The envelope has no "op" field/,
    );
    assert.match(decodeError(message({ op: 1 })), /The envelope op must be a string, got number 1/);
    assert.match(decodeError(message({ op: null })), /The envelope op must be a string, got null/);
  });
});

describe('missing images', () => {
  for (const op of ['r', 'c', 'u']) {
    test(`${op} without after`, () => {
      assert.match(
        decodeError(message({ op, after: null })),
        new RegExp(`\\('${op}'\\) of table inventory.things has no after image`),
      );
      const bare = decodeError(message({ op, after: undefined }, { columns: null }));
      assert.match(bare, /has no after image/);
    });
  }

  test('d without before', () => {
    assert.match(
      decodeError(message({ op: 'd', before: null })),
      /The delete event \('d'\) of table inventory.things has no before image/,
    );
  });

  test('d with an after image', () => {
    assert.match(
      decodeError(message({ op: 'd', before: { id: 1 }, after: { id: 1 } })),
      /has an after image, which a delete cannot have/,
    );
  });

  test('an image that is not an object', () => {
    assert.match(
      decodeError(message({ after: 'row' })),
      /Cannot decode after of table inventory.things: expected a row \(object\), got string "row"/,
    );
    assert.match(
      decodeError(message({ after: [1] }, { columns: null })),
      /Cannot decode after of table inventory.things: expected a row \(object\), got array/,
    );
  });
});

describe("the envelope's ts_ns, never read, and columns of that name", () => {
  const BIG = 9223372036854775807n;
  const TS_NS = col('ts_ns', 'int64');

  test('a row column and a key column called ts_ns stay exact beside the envelope ts_ns', () => {
    const event = decodeRow(
      message(
        {
          after: { ts_ns: BIG, other: 1 },
          source: source({ ts_ns: 1795407236887339819n }),
          ts_ns: 1795407236887340001n,
        },
        {
          columns: [required(TS_NS), col('other', 'int32')],
          keyColumns: [required(TS_NS)],
          key: { ts_ns: BIG },
        },
      ),
    );
    assert.equal(event.after?.['ts_ns'], BIG);
    assert.deepEqual(event.key.columns, [['ts_ns', BIG]]);
    assert.equal(event.position.lsn, 27027216n);
  });

  test('in either form of the value (wrapped, bare) and in a before image', () => {
    for (const bareValue of [false, true]) {
      const event = decodeRow(
        message(
          {
            op: 'u',
            before: { id: 1, ts_ns: BIG - 1n },
            after: { id: 1, ts_ns: BIG },
            ts_ns: 1795407236887340001n,
          },
          { columns: [ID, TS_NS], bareValue },
        ),
      );
      assert.equal(event.before?.['ts_ns'], BIG - 1n, `bare value: ${bareValue}`);
      assert.equal(event.after?.['ts_ns'], BIG, `bare value: ${bareValue}`);
    }
  });
});

describe('source block', () => {
  const withSource = (overrides: Record<string, unknown>): string =>
    decodeError(message({ after: { id: 1 }, source: source(overrides) }));
  const position = (overrides: Record<string, unknown>) =>
    decodeRow(message({ after: { id: 1 }, source: source(overrides) })).position;

  test('missing or not an object', () => {
    assert.match(
      decodeError(message({ after: { id: 1 }, source: undefined })),
      /The envelope has no "source" block/,
    );
    assert.match(
      decodeError(message({ after: { id: 1 }, source: null })),
      /The envelope has no "source" block/,
    );
    assert.match(
      decodeError(message({ after: { id: 1 }, source: 'pg' })),
      /source must be an object, got string "pg"/,
    );
  });

  test('db, schema and table must be non-empty strings', () => {
    assert.match(withSource({ db: undefined }), /source.db must be a non-empty string, got nothing/);
    assert.match(withSource({ schema: 5 }), /source.schema must be a non-empty string, got number 5/);
    assert.match(withSource({ table: '' }), /source.table must be a non-empty string, got string ""/);
  });

  test('lsn: an exact bigint, also above 2^53', () => {
    assert.equal(position({ lsn: 27027216 }).lsn, 27027216n);
    assert.equal(position({ lsn: 0 }).lsn, 0n);
    assert.equal(position({ lsn: 9007199254740993n }).lsn, 9007199254740993n);
    assert.equal(position({ lsn: 18446744073709551615n }).lsn, 18446744073709551615n);
  });

  test('lsn: missing, negative, fractional, too large or not a number', () => {
    assert.match(withSource({ lsn: undefined }), /source.lsn is missing/);
    assert.match(withSource({ lsn: null }), /source.lsn is missing/);
    assert.match(withSource({ lsn: -1 }), /source.lsn must be a non-negative 64-bit integer, got number -1/);
    assert.match(
      withSource({ lsn: -9223372036854775808n }),
      /source.lsn must be a non-negative 64-bit integer, got integer -9223372036854775808/,
    );
    assert.match(withSource({ lsn: 1.5 }), /got number 1.5/);
    assert.match(withSource({ lsn: 18446744073709551616n }), /got integer 18446744073709551616/);
    assert.match(withSource({ lsn: '27027216' }), /got string "27027216"/);
    // 1e20 is an integer value, but a float literal: its exact digits are unknown
    const text = json(envelope({ after: { id: 1 } })).replace('"lsn":27027216', '"lsn":1e20');
    assert.match(
      decodeError(raw('{"id":1}', text)),
      /source.lsn must be a non-negative 64-bit integer, got number 100000000000000000000/,
    );
  });

  test('ts_ms is the commit time', () => {
    assert.equal(position({ ts_ms: 1795407236647 }).commitTsMs, 1795407236647);
    assert.match(withSource({ ts_ms: undefined }), /source.ts_ms is missing/);
    assert.match(
      withSource({ ts_ms: '1' }),
      /source.ts_ms must be a non-negative integer \(milliseconds\), got string "1"/,
    );
  });

  test('txId as a string, or null', () => {
    assert.equal(position({ txId: 783 }).txId, '783');
    assert.equal(position({ txId: 9223372036854775807n }).txId, '9223372036854775807');
    assert.equal(position({ txId: 'tx-1' }).txId, 'tx-1');
    assert.equal(position({ txId: null }).txId, null);
    assert.equal(position({ txId: undefined }).txId, null);
    assert.match(
      withSource({ txId: true }),
      /source.txId must be an integer, a string or null, got boolean true/,
    );
  });

  test('snapshot: anything but "false", false or absent', () => {
    for (const value of [
      'true',
      'first',
      'last',
      'first_in_data_collection',
      'last_in_data_collection',
      'incremental',
      true,
    ]) {
      assert.equal(position({ snapshot: value }).snapshot, true, String(value));
    }
    for (const value of ['false', false, null, undefined])
      assert.equal(position({ snapshot: value }).snapshot, false, String(value));
    assert.match(withSource({ snapshot: 1 }), /source.snapshot must be a string or a boolean, got number 1/);
  });
});

describe('malformed messages', () => {
  test('value not JSON, not an object, payload not an object', () => {
    assert.match(decodeError(raw(null, '{"op":')), /The message value is not valid JSON/);
    assert.match(decodeError(raw(null, '[1,2]')), /The message value must be a JSON object, got array/);
    assert.match(decodeError(raw(null, 'null')), /The message value must be a JSON object, got null/);
    assert.match(decodeError(raw(null, '"c"')), /must be a JSON object, got string/);
    assert.match(
      decodeError(raw(null, `{"schema":${json(valueSchema([ID]))},"payload":[1]}`)),
      /must be a Debezium envelope \(an object\), got array/,
    );
  });

  test('invalid UTF-8 is read as text (and then fails as JSON, or not)', () => {
    const bytes = Buffer.concat([Buffer.from('{"op":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const result = decodeRecord({ topic: 't', partition: 0, offset: '0', key: null, value: bytes });
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error.message, /Unsupported op "\uFFFD\uFFFD"/);
  });

  test('a broken value schema is named', () => {
    const text = `{"schema":{"type":"struct","fields":[]},"payload":${json(envelope({ after: { id: 1 } }))}}`;
    assert.match(
      decodeError(raw('{"id":1}', text)),
      /The value schema of table inventory.things is unusable: the value schema has no "after" field/,
    );
  });
});

describe('an incremental snapshot read without source.lsn', () => {
  test('decodes with a null position (the read is written below every streamed change)', () => {
    const event = decodeRow(
      message({ op: 'r', after: { id: 1 }, source: source({ snapshot: 'incremental', lsn: null }) }),
    );
    assert.equal(event.op, 'r');
    assert.equal(event.position.lsn, null);
    assert.equal(event.position.snapshot, true);
  });

  test('any other event without source.lsn is still refused', () => {
    assert.match(
      decodeError(message({ op: 'c', after: { id: 1 }, source: source({ lsn: null }) })),
      /source.lsn is missing/,
    );
    assert.match(
      decodeError(message({ op: 'r', after: { id: 1 }, source: source({ snapshot: 'false', lsn: null }) })),
      /source.lsn is missing/,
    );
  });
});
