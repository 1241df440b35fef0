// The types resync declares from the catalog must be the ones Debezium's schema declares for the
// same columns (checked against a real hard_types message), or a resync'ed index would be mapped
// differently from a streamed one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { decodeRecord } from '../../../src/decoder/decode.js';
import type { ColumnType } from '../../../src/decoder/types.js';
import type { ColumnInfo, TableInfo } from '../../../src/postgres/catalog.js';
import { declaredColumnTypes } from '../../../src/postgres/column-types.js';

const column = (name: string, type: string, typmod = -1, elementType: string | null = null): ColumnInfo => ({
  name,
  type,
  typeKind: 'b',
  elementType,
  sqlType: type,
  typmod,
});

/** hard_types as the catalog describes it (postgres/00-schema.sql). */
const HARD_TYPES: TableInfo = {
  schema: 'inventory',
  table: 'hard_types',
  columns: [
    column('tenant_id', 'int4'),
    column('item_id', 'int8'),
    column('big', 'int8'),
    column('exact', 'numeric', 2_490_382),
    column('loose', 'numeric'),
    column('price', 'money'),
    column('real_num', 'float8'),
    column('ts_tz', 'timestamptz'),
    column('doc', 'jsonb'),
    column('tags', '_text', -1, 'text'),
    column('flag', 'bool'),
    column('big_text', 'text'),
  ],
  primaryKey: ['tenant_id', 'item_id'],
};

const summary = (type: ColumnType | undefined) =>
  type && { type: type.type, logical: type.logical, value: type.value, items: type.items?.value };

describe('declaredColumnTypes', () => {
  test('floats, decimals and timestamps are declared as Debezium declares them in a real message', () => {
    const dir = fileURLToPath(new URL('../../fixtures/debezium/', import.meta.url));
    const fixture = JSON.parse(readFileSync(dir + 'hard_types-read-1.json', 'utf8')) as {
      topic: string;
      key: string;
      value: string;
    };
    const decoded = decodeRecord({
      topic: fixture.topic,
      partition: 0,
      offset: '0',
      key: Buffer.from(fixture.key),
      value: Buffer.from(fixture.value),
    });
    assert.ok(decoded.ok && decoded.event.kind === 'row' && decoded.event.columnTypes);
    const streamed = decoded.event.columnTypes;
    const declared = declaredColumnTypes(HARD_TYPES);
    assert.deepEqual([...declared.keys()].sort(), ['exact', 'loose', 'price', 'real_num', 'ts_tz']);
    for (const [name, type] of declared) assert.deepEqual(summary(type), summary(streamed.get(name)), name);
  });

  test('floats, numerics, dates and timestamps and arrays of them; other columns (a time of day) are left out', () => {
    const declared = declaredColumnTypes({
      ...HARD_TYPES,
      columns: [
        column('r', 'float4'),
        column('d', 'float8'),
        column('rs', '_float4', -1, 'float4'),
        column('ns', '_numeric', -1, 'numeric'),
        column('t', 'text'),
        column('ts', '_text', -1, 'text'),
        column('day', 'date'),
        column('at', 'timestamp'),
        column('days', '_date', -1, 'date'),
        column('clock', 'time'),
      ],
    });
    assert.deepEqual(Object.fromEntries([...declared].map(([name, type]) => [name, summary(type)])), {
      r: { type: 'float32', logical: null, value: 'float', items: undefined },
      d: { type: 'float64', logical: null, value: 'float', items: undefined },
      rs: { type: 'array', logical: null, value: 'array', items: 'float' },
      ns: { type: 'array', logical: null, value: 'array', items: 'decimal' },
      day: { type: 'int32', logical: 'io.debezium.time.Date', value: 'temporal', items: undefined },
      at: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', value: 'temporal', items: undefined },
      days: { type: 'array', logical: null, value: 'array', items: 'temporal' },
    });
  });
});
