// RowChange.columnTypes: the declared type of every column, from the message schema, shared by
// all events of one schema version (consumers cache by identity) and null without a schema.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ColumnType, ColumnTypes, RowChange } from '../../../src/decoder/index.js';
import {
  col,
  decimalCol,
  decodeRow,
  logicalCol,
  message,
  raw,
  required,
  variableScaleDecimalCol,
} from './helpers.js';

const ID = required(col('id', 'int32'));

function typesOf(columns: Record<string, unknown>[], after: Record<string, unknown>): ColumnTypes {
  const event = decodeRow(message({ after: { id: 1, ...after } }, { columns: [ID, ...columns] }));
  assert.ok(event.columnTypes, 'a message with a schema has column types');
  return event.columnTypes;
}

function typeOf(column: Record<string, unknown>, value: unknown = null): ColumnType {
  const name = String(column['field']);
  const type = typesOf([column], { [name]: value }).get(name);
  assert.ok(type, `column ${name} is described`);
  return type;
}

describe('column types', () => {
  test('floats: JsonConverter "float" and "double" (and Connect names) are float32/float64', () => {
    assert.deepEqual(typeOf(col('r', 'double'), 1), {
      type: 'float64',
      logical: null,
      optional: true,
      value: 'float',
    });
    assert.equal(typeOf(col('f', 'float'), 1).type, 'float32');
    assert.equal(typeOf(col('f', 'float32')).type, 'float32');
    assert.equal(typeOf(col('f', 'float64')).type, 'float64');
    assert.equal(typeOf(col('f', 'float')).value, 'float');
  });

  test('integers, booleans, strings and bytes', () => {
    assert.equal(typeOf(col('a', 'int8')).value, 'integer');
    assert.equal(typeOf(col('a', 'int16')).value, 'integer');
    assert.equal(typeOf(col('a', 'int32')).value, 'integer');
    assert.equal(typeOf(col('a', 'int64')).value, 'int64');
    assert.equal(typeOf(col('a', 'boolean')).value, 'boolean');
    assert.equal(typeOf(col('a', 'string')).value, 'string');
    assert.equal(typeOf(col('a', 'bytes')).value, 'bytes');
    assert.equal(typeOf(required(col('a', 'int32')), 1).optional, false);
  });

  test('logical types name what the decoder makes of them', () => {
    assert.equal(typeOf(decimalCol('d', 2)).value, 'decimal');
    const loose = typeOf(variableScaleDecimalCol('v'));
    assert.equal(loose.value, 'decimal');
    assert.equal(loose.type, 'struct');
    assert.equal(loose.logical, 'io.debezium.data.VariableScaleDecimal');
    assert.equal(loose.fields, undefined, 'a decimal is no struct once decoded');
    assert.equal(typeOf(logicalCol('t', 'int64', 'io.debezium.time.MicroTimestamp')).value, 'temporal');
    assert.equal(typeOf(logicalCol('t', 'string', 'io.debezium.time.ZonedTimestamp')).value, 'temporal');
    assert.equal(typeOf(logicalCol('t', 'int32', 'io.debezium.time.Date')).value, 'temporal');
    assert.equal(typeOf(logicalCol('t', 'int64', 'io.debezium.time.MicroDuration')).value, 'temporal');
    assert.equal(typeOf(logicalCol('j', 'string', 'io.debezium.data.Json')).value, 'json');
    // names the decoder does not convert keep their base type
    const uuid = typeOf(logicalCol('u', 'string', 'io.debezium.data.Uuid'));
    assert.deepEqual([uuid.value, uuid.logical], ['string', 'io.debezium.data.Uuid']);
  });

  test('arrays, maps and structs describe their parts', () => {
    const array = typeOf(col('xs', 'array', { items: { type: 'double', optional: true } }));
    assert.equal(array.value, 'array');
    assert.deepEqual(array.items, { type: 'float64', logical: null, optional: true, value: 'float' });
    const map = typeOf(
      col('m', 'map', {
        keys: { type: 'string', optional: false },
        values: { type: 'float', optional: true },
      }),
    );
    assert.equal(map.keys?.value, 'string');
    assert.equal(map.values?.type, 'float32');
    const point = typeOf(
      col('p', 'struct', {
        name: 'io.debezium.data.geometry.Point',
        fields: [
          { type: 'double', optional: false, field: 'x' },
          { type: 'double', optional: false, field: 'y' },
          { type: 'bytes', optional: true, field: 'wkb' },
        ],
      }),
    );
    assert.equal(point.value, 'struct');
    assert.deepEqual([...(point.fields?.keys() ?? [])], ['x', 'y', 'wkb']);
    assert.equal(point.fields?.get('x')?.value, 'float');
  });

  test('an unusable schema is described as unknown (its values never decode)', () => {
    assert.equal(typeOf(col('a', 'nonsense')).value, 'unknown');
    assert.equal(typeOf(col('a', 'nonsense')).type, null);
    const wrongBase = typeOf(logicalCol('a', 'string', 'io.debezium.time.Date'));
    assert.deepEqual([wrongBase.type, wrongBase.value], ['string', 'unknown']);
    const noScale = col('d', 'bytes', { name: 'org.apache.kafka.connect.data.Decimal' });
    assert.equal(typeOf(noScale).value, 'unknown');
  });

  test('columns are listed in schema order', () => {
    const types = typesOf([col('b', 'double'), col('a', 'string')], {});
    assert.deepEqual([...types.keys()], ['id', 'b', 'a']);
  });

  test('events of one schema share one description; another schema version gets another', () => {
    const columns = [ID, col('r', 'double')];
    const first = decodeRow(message({ after: { id: 1, r: 1 } }, { columns }));
    const second = decodeRow(message({ op: 'u', after: { id: 2, r: 0.5 } }, { columns, key: { id: 2 } }));
    assert.ok(first.columnTypes !== null);
    assert.equal(first.columnTypes, second.columnTypes, 'the same object, not a copy per event');
    const added = decodeRow(
      message({ after: { id: 3, r: 1, s: 2 } }, { columns: [...columns, col('s', 'float')], key: { id: 3 } }),
    );
    assert.notEqual(added.columnTypes, first.columnTypes);
    assert.equal(added.columnTypes?.get('s')?.type, 'float32');
  });

  test('a delete describes its before image', () => {
    const event = decodeRow(
      message({ op: 'd', before: { id: 1, r: 2 } }, { columns: [ID, col('r', 'double')] }),
    );
    assert.equal(event.columnTypes?.get('r')?.value, 'float');
  });

  test('no schema, no column types', () => {
    const event = decodeRow(message({ after: { id: 1, r: 1 } }, { columns: null }));
    assert.equal(event.columnTypes, null);
  });
});

describe('column types of a real Debezium message (hard_types)', () => {
  const dir = fileURLToPath(new URL('../../fixtures/debezium/', import.meta.url));
  const fixture = JSON.parse(readFileSync(dir + 'hard_types-read-1.json', 'utf8')) as {
    topic: string;
    key: string;
    value: string;
  };
  const event: RowChange = decodeRow(raw(fixture.key, fixture.value, fixture.topic));

  test('every column is described with what the decoder makes of it', () => {
    const types = event.columnTypes;
    assert.ok(types);
    const summary = Object.fromEntries(
      [...types].map(([name, type]) => [name, `${type.type}/${type.value}`]),
    );
    assert.deepEqual(summary, {
      tenant_id: 'int32/integer',
      item_id: 'int64/int64',
      big: 'int64/int64',
      exact: 'bytes/decimal',
      loose: 'struct/decimal',
      price: 'bytes/decimal',
      real_num: 'float64/float',
      ts_tz: 'string/temporal',
      ts: 'int64/temporal',
      day: 'int32/temporal',
      tod: 'int64/temporal',
      tod_tz: 'string/temporal',
      span: 'string/string',
      uid: 'string/string',
      doc: 'string/json',
      tags: 'array/array',
      blob: 'string/string',
      feeling: 'string/string',
      flag: 'boolean/boolean',
      big_text: 'string/string',
    });
    assert.equal(types.get('tags')?.items?.value, 'string');
    assert.deepEqual(Object.keys(event.after ?? {}), [...types.keys()]);
  });
});
