import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  TOAST_PLACEHOLDER,
  TOAST_PLACEHOLDER_BASE64,
  TOAST_PLACEHOLDER_UUID,
  isAnyPlaceholder,
  isArrayPlaceholder,
  isBytesPlaceholder,
  isMapPlaceholder,
  isStringOrBase64Placeholder,
} from '../../../src/decoder/toast.js';
import { col, decodeRow, message, required, source } from './helpers.js';

const codes = Array.from(TOAST_PLACEHOLDER, (c) => c.charCodeAt(0));

describe('TOAST placeholder forms', () => {
  test('the constants are what Debezium derives from the default placeholder', () => {
    assert.equal(TOAST_PLACEHOLDER, '__debezium_unavailable_value');
    assert.equal(TOAST_PLACEHOLDER_BASE64, Buffer.from(TOAST_PLACEHOLDER, 'utf8').toString('base64'));
    // java.util.UUID.nameUUIDFromBytes: MD5, version 3, IETF variant
    const md5 = createHash('md5').update(TOAST_PLACEHOLDER).digest();
    md5[6] = (md5[6]! & 0x0f) | 0x30;
    md5[8] = (md5[8]! & 0x3f) | 0x80;
    const hex = md5.toString('hex');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    assert.equal(TOAST_PLACEHOLDER_UUID, uuid);
  });

  test('string columns: the string, or its base64 (bytea under binary.handling.mode=base64)', () => {
    assert.ok(isStringOrBase64Placeholder(TOAST_PLACEHOLDER));
    assert.ok(isStringOrBase64Placeholder(TOAST_PLACEHOLDER_BASE64));
    assert.ok(!isStringOrBase64Placeholder('__debezium_unavailable_value '));
    assert.ok(!isStringOrBase64Placeholder([TOAST_PLACEHOLDER]));
  });

  test('bytes columns: the base64 of the placeholder bytes only', () => {
    assert.ok(isBytesPlaceholder(TOAST_PLACEHOLDER_BASE64));
    assert.ok(!isBytesPlaceholder(TOAST_PLACEHOLDER));
  });

  test('arrays: one placeholder element (text, bytea, uuid) or one element per byte (int, bigint)', () => {
    assert.ok(isArrayPlaceholder([TOAST_PLACEHOLDER]));
    assert.ok(isArrayPlaceholder([TOAST_PLACEHOLDER_BASE64]));
    assert.ok(isArrayPlaceholder([TOAST_PLACEHOLDER_UUID]));
    assert.ok(isArrayPlaceholder(codes));
    assert.ok(isArrayPlaceholder(codes.map(BigInt)));
    assert.ok(!isArrayPlaceholder([TOAST_PLACEHOLDER, 'x']));
    assert.ok(!isArrayPlaceholder(codes.slice(1)));
    assert.ok(!isArrayPlaceholder([...codes.slice(0, -1), 0]));
    assert.ok(!isArrayPlaceholder([]));
  });

  test('hstore maps: {placeholder: placeholder}', () => {
    assert.ok(isMapPlaceholder({ [TOAST_PLACEHOLDER]: TOAST_PLACEHOLDER }));
    assert.ok(!isMapPlaceholder({ [TOAST_PLACEHOLDER]: TOAST_PLACEHOLDER, other: 'x' }));
    assert.ok(!isMapPlaceholder({ [TOAST_PLACEHOLDER]: 'x' }));
  });

  test('without a schema any form counts, ordinary values do not', () => {
    for (const value of [TOAST_PLACEHOLDER, TOAST_PLACEHOLDER_BASE64, [TOAST_PLACEHOLDER], codes]) {
      assert.ok(isAnyPlaceholder(value));
    }
    for (const value of [null, 1, 'text', [], {}, [1, 2, 3], { a: 1 }]) assert.ok(!isAnyPlaceholder(value));
  });
});

describe('the placeholder outside an update', () => {
  const columns = [required(col('id', 'int32')), col('note', 'string')];
  for (const op of ['c', 'r'] as const) {
    test(`in ${op === 'c' ? 'an insert' : 'a snapshot read'}, a value equal to the placeholder is the row's own text`, () => {
      for (const bare of [false, true]) {
        const row = decodeRow(
          message(
            {
              op,
              after: { id: 1, note: TOAST_PLACEHOLDER },
              source: source({ snapshot: op === 'r' ? 'true' : 'false' }),
            },
            bare ? { columns: null } : { columns },
          ),
        );
        assert.equal(row.after!['note'], TOAST_PLACEHOLDER, bare ? 'without a schema' : 'with a schema');
        assert.deepEqual(row.unchangedColumns, []);
      }
    });
  }

  test('in an update it still means "unchanged": left out and named', () => {
    const row = decodeRow(message({ op: 'u', after: { id: 1, note: TOAST_PLACEHOLDER } }, { columns }));
    assert.equal(Object.hasOwn(row.after!, 'note'), false);
    assert.deepEqual(row.unchangedColumns, ['note']);
  });
});
