import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, documentId, keyColumnText } from '../../../src/decoder/index.js';
import {
  col,
  decimalCol,
  decodeError,
  decodeRow,
  keySchema,
  logicalCol,
  message,
  raw,
  required,
  valueSchema,
  envelope,
  wrap,
} from './helpers.js';

const TENANT = required(col('tenant_id', 'int32'));
const ITEM = required(col('item_id', 'int64'));

function keyOf(keyColumns: ReturnType<typeof col>[], key: Record<string, unknown>, bareKey = false) {
  const columns = bareKey ? null : [...keyColumns];
  return decodeRow(message({ after: key }, { columns, keyColumns, key, bareKey })).key;
}

describe('DocKey from the message key', () => {
  test('one int32 column: its value as a string', () => {
    assert.deepEqual(keyOf([required(col('id', 'int32'))], { id: 42 }), { columns: [['id', 42]], id: '42' });
  });

  test('one int64 column: a bigint, id exact above 2^53', () => {
    assert.deepEqual(keyOf([required(col('id', 'int64'))], { id: 9007199254740993n }), {
      columns: [['id', 9007199254740993n]],
      id: '9007199254740993',
    });
    // small int64 is still a bigint in the columns, and the same id as a bare number would give
    assert.deepEqual(keyOf([required(col('id', 'int64'))], { id: 5 }), { columns: [['id', 5n]], id: '5' });
    assert.deepEqual(keyOf([], { id: 5 }, true), { columns: [['id', 5]], id: '5' });
  });

  test('one string or uuid column: as is', () => {
    assert.equal(keyOf([required(col('code', 'string'))], { code: 'a"b,c' }).id, 'a"b,c');
    const uuid = required(logicalCol('uid', 'string', 'io.debezium.data.Uuid'));
    assert.equal(
      keyOf([uuid], { uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }).id,
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
  });

  test('logical types in keys are converted: dates, decimals', () => {
    assert.equal(
      keyOf([required(logicalCol('day', 'int32', 'io.debezium.time.Date'))], { day: 19782 }).id,
      '2024-02-29',
    );
    assert.equal(keyOf([required(decimalCol('amount', 2, 12))], { amount: 'nA==' }).id, '-1.00');
  });

  test('composite key: JSON array of the string forms, in schema field order', () => {
    const key = keyOf([TENANT, ITEM], { tenant_id: 1, item_id: 9007199254740993n });
    assert.deepEqual(key, {
      columns: [
        ['tenant_id', 1],
        ['item_id', 9007199254740993n],
      ],
      id: '["1","9007199254740993"]',
    });
    // payload in another order: the schema decides the key order
    const reordered = keyOf([TENANT, ITEM], { item_id: 2n, tenant_id: 1 });
    assert.equal(reordered.id, '["1","2"]');
  });

  test('bare composite key: object key order', () => {
    const key = keyOf([], { tenant_id: 1, item_id: 12345678901234567890n }, true);
    assert.deepEqual(key.columns, [
      ['tenant_id', 1],
      ['item_id', 12345678901234567890n],
    ]);
    assert.equal(key.id, '["1","12345678901234567890"]');
  });

  test('composite ids are unambiguous', () => {
    const a = documentId([
      ['a', 'x,y'],
      ['b', 'z'],
    ]);
    const b = documentId([
      ['a', 'x'],
      ['b', 'y,z'],
    ]);
    const c = documentId([
      ['a', 'x","y'],
      ['b', 'z'],
    ]);
    assert.equal(new Set([a, b, c]).size, 3);
    assert.equal(documentId([['a', '["x","y"]']]), '["x","y"]'); // one column: as is
  });

  test('canonical string forms of other values', () => {
    assert.equal(keyColumnText(true), 'true');
    assert.equal(keyColumnText(-0), '0');
    assert.equal(keyColumnText(1.5), '1.5');
    assert.equal(keyColumnText(new Decimal('-0.0000000001')), '-0.0000000001');
    assert.equal(keyColumnText([1, 'a', null, 2n]), '[1,"a",null,2]');
    assert.equal(keyColumnText({ b: 1, a: [new Decimal('1.10')] }), '{"b":1,"a":[1.10]}');
  });
});

describe('keys that give no document id', () => {
  const hasNoPk =
    /Table inventory.things has no primary key \(the message key is null\): give it a primary key, or set the connector's message.key.columns for it/;

  for (const op of ['r', 'c', 'u']) {
    test(`null key on '${op}'`, () => {
      assert.match(decodeError(message({ op, after: { id: 1 } }, { key: null })), hasNoPk);
    });
  }

  test("null key on 'd'", () => {
    assert.match(decodeError(message({ op: 'd', before: { id: 1 } }, { key: null })), hasNoPk);
  });

  test('empty key buffer, or a wrapped null payload', () => {
    const value = wrap(valueSchema([required(col('id', 'int32'))]), envelope({ after: { id: 1 } }));
    assert.match(decodeError(raw('', value)), hasNoPk);
    assert.match(
      decodeError(raw(`{"schema":${JSON.stringify(keySchema([]))},"payload":null}`, value)),
      hasNoPk,
    );
  });

  test('a key without columns', () => {
    assert.match(
      decodeError(message({ after: { id: 1 } }, { key: {}, bareKey: true })),
      /has no primary key \(the message key has no columns\)/,
    );
  });

  test('a null key column (message.key.columns on a nullable column)', () => {
    const code = col('code', 'string');
    assert.match(
      decodeError(
        message({ after: { code: null } }, { columns: [code], keyColumns: [code], key: { code: null } }),
      ),
      /Key column "code" of table inventory.things is null: no document id can be derived/,
    );
  });

  test('a key that is not JSON, not an object, or does not fit its schema', () => {
    const value = wrap(valueSchema([required(col('id', 'int32'))]), envelope({ after: { id: 1 } }));
    assert.match(decodeError(raw('{"id":', value)), /The message key is not valid JSON/);
    assert.match(decodeError(raw('[1]', value)), /The message key must be a JSON object, got array/);
    assert.match(
      decodeError(raw('{"schema":null,"payload":7}', value)),
      /The message key of table inventory.things must be an object, got number 7/,
    );
    assert.match(
      decodeError(message({ after: { id: 1 } }, { key: { id: 'one' } })),
      /Cannot decode key column id of table inventory.things: expected int32, got string "one"/,
    );
    assert.match(
      decodeError(message({ after: { id: 1 } }, { key: { id: 1, extra: 2 } })),
      /Cannot decode key column extra of table inventory.things: field is not in the schema/,
    );
    assert.match(
      decodeError(raw(`{"schema":{"type":"int32"},"payload":{"id":1}}`, value)),
      /The key schema of table inventory.things is unusable: expected a struct schema, got type "int32"/,
    );
  });
});
