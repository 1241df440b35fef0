import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../../../src/decoder/index.js';
import {
  col,
  columnError,
  decimalCol,
  decodeColumn,
  decodeError,
  decodeRow,
  logicalCol,
  message,
  required,
  variableScaleDecimalCol,
} from './helpers.js';

const at = (field: string) =>
  new RegExp(`Cannot decode after\\.${field.replace(/[.[\]]/g, '\\$&')} of table inventory\\.things: `);

describe('primitive types', () => {
  test('int8, int16, int32 are numbers within their range', () => {
    assert.equal(decodeColumn(col('a', 'int8'), -128), -128);
    assert.equal(decodeColumn(col('a', 'int16'), 32767), 32767);
    assert.equal(decodeColumn(col('a', 'int32'), -2147483648), -2147483648);
    assert.match(columnError(col('a', 'int8'), 128), /expected int8, got number 128/);
    assert.match(columnError(col('a', 'int16'), -32769), /expected int16/);
    assert.match(columnError(col('a', 'int32'), 2147483648), /expected int32, got number 2147483648/);
    assert.match(columnError(col('a', 'int32'), 1.5), /expected int32, got number 1.5/);
    assert.match(columnError(col('a', 'int32'), '1'), /expected int32, got string "1"/);
    assert.match(
      columnError(col('a', 'int32'), 12345678901234567890n),
      /expected int32, got integer 12345678901234567890/,
    );
  });

  test('int64 is always a bigint: small, max, min', () => {
    assert.equal(decodeColumn(col('a', 'int64'), 0), 0n);
    assert.equal(decodeColumn(col('a', 'int64'), -42), -42n);
    assert.equal(decodeColumn(col('a', 'int64'), 9223372036854775807n), 9223372036854775807n);
    assert.equal(decodeColumn(col('a', 'int64'), -9223372036854775808n), -9223372036854775808n);
    assert.equal(decodeColumn(col('a', 'int64'), 9007199254740993n), 9007199254740993n);
  });

  test('int64 out of range or not an integer is refused', () => {
    assert.match(
      columnError(col('a', 'int64'), 9223372036854775808n),
      /expected int64, got integer 9223372036854775808/,
    );
    assert.match(columnError(col('a', 'int64'), 1.5), /expected int64, got number 1.5/);
    assert.match(
      columnError(col('big', 'int64'), 'x'),
      new RegExp(at('big').source + 'expected int64, got string "x"'),
    );
  });

  test("float and double are numbers; Jackson's NaN/Infinity strings are accepted", () => {
    assert.equal(decodeColumn(col('a', 'double'), 0.1), 0.1);
    assert.equal(decodeColumn(col('a', 'double'), -1.5e300), -1.5e300);
    assert.equal(decodeColumn(col('a', 'float'), 3.14), 3.14);
    assert.equal(decodeColumn(col('a', 'float64'), 2), 2);
    assert.ok(Number.isNaN(decodeColumn(col('a', 'double'), 'NaN')));
    assert.equal(decodeColumn(col('a', 'double'), 'Infinity'), Infinity);
    assert.equal(decodeColumn(col('a', 'double'), '-Infinity'), -Infinity);
    assert.equal(decodeColumn(col('a', 'double'), 12345678901234567890n), 12345678901234567000);
    assert.match(
      columnError(col('a', 'double'), 'nan'),
      /expected a floating-point number, got string "nan"/,
    );
  });

  test('boolean and string', () => {
    assert.equal(decodeColumn(col('a', 'boolean'), false), false);
    assert.match(columnError(col('a', 'boolean'), 'true'), /expected boolean, got string "true"/);
    assert.equal(decodeColumn(col('a', 'string'), 'Zoë'), 'Zoë');
    assert.match(columnError(col('a', 'string'), 5), /expected string, got number 5/);
  });

  test('bytes stay base64 once checked', () => {
    assert.equal(decodeColumn(col('a', 'bytes'), '3q2+7w=='), '3q2+7w==');
    assert.equal(decodeColumn(col('a', 'bytes'), ''), '');
    assert.match(
      columnError(col('blob', 'bytes'), '3q2+7w='),
      new RegExp(at('blob').source + 'expected bytes \\(base64 string\\)'),
    );
    assert.match(columnError(col('blob', 'bytes'), 12), /expected bytes \(base64 string\), got number 12/);
  });

  test('arrays element-wise by items, with the failing index named', () => {
    const tags = col('tags', 'array', { items: { type: 'string', optional: true } });
    assert.deepEqual(decodeColumn(tags, ['alpha', 'beta "quoted"', null]), ['alpha', 'beta "quoted"', null]);
    const bigs = col('ids', 'array', { items: { type: 'int64', optional: false } });
    assert.deepEqual(decodeColumn(bigs, [1, 9223372036854775807n]), [1n, 9223372036854775807n]);
    assert.match(
      columnError(bigs, [1, null]),
      new RegExp(at('ids[1]').source + 'null in a non-optional field'),
    );
    assert.match(columnError(bigs, [1, 'x']), new RegExp(at('ids[1]').source + 'expected int64'));
    assert.match(columnError(tags, 'alpha'), /expected array, got string "alpha"/);
    const dates = col('days', 'array', {
      items: { type: 'int32', optional: true, name: 'io.debezium.time.Date' },
    });
    assert.deepEqual(decodeColumn(dates, [0, -1, null]), ['1970-01-01', '1969-12-31', null]);
    const nested = col('m', 'array', {
      items: { type: 'array', optional: true, items: { type: 'int64', optional: true } },
    });
    assert.deepEqual(decodeColumn(nested, [[1], [2, null]]), [[1n], [2n, null]]);
    assert.match(columnError(nested, [[1], [2, 'x']]), new RegExp(at('m[1][1]').source));
  });

  test('structs become nested objects, converted by their fields', () => {
    const point = col('location', 'struct', {
      fields: [
        { type: 'int64', optional: false, field: 'id' },
        { type: 'int32', optional: true, field: 'day', name: 'io.debezium.time.Date' },
      ],
    });
    assert.deepEqual(decodeColumn(point, { id: 7, day: 0 }), { id: 7n, day: '1970-01-01' });
    assert.deepEqual(decodeColumn(point, { id: 7 }), { id: 7n, day: null });
    assert.match(columnError(point, { id: 'x' }), new RegExp(at('location.id').source + 'expected int64'));
    assert.match(
      columnError(point, { day: 0 }),
      new RegExp(at('location.id').source + 'missing \\(the field is not optional\\)'),
    );
    assert.match(
      columnError(point, { id: 1, zz: 1 }),
      new RegExp(at('location.zz').source + 'field is not in the schema'),
    );
    assert.match(columnError(point, [1]), /expected struct \(object\), got array/);
  });

  test('maps: string keys as objects (hstore), others as [key, value] pairs', () => {
    const hstore = col('attrs', 'map', {
      keys: { type: 'string', optional: false },
      values: { type: 'string', optional: true },
    });
    assert.deepEqual(decodeColumn(hstore, { a: '1', $where: null }), { a: '1', $where: null });
    assert.match(
      columnError(hstore, { a: 1 }),
      new RegExp(at('attrs.a').source + 'expected string, got number 1'),
    );
    const byInt = col('m', 'map', {
      keys: { type: 'int64', optional: false },
      values: { type: 'int32', optional: false },
    });
    assert.deepEqual(decodeColumn(byInt, [[1, 2]]), [[1n, 2]]);
    assert.match(
      columnError(byInt, [[1, 2, 3]]),
      new RegExp(at('m[0]').source + 'expected a \\[key, value\\] pair'),
    );
  });

  test('a null in a non-optional column, a missing column, an undeclared column', () => {
    assert.match(
      columnError(required(col('n', 'int32')), null),
      new RegExp(at('n').source + 'null in a non-optional field'),
    );
    const row = decodeRow(
      message({ after: { id: 1 } }, { columns: [required(col('id', 'int32')), col('n', 'int32')] }),
    );
    assert.deepEqual(row.after, { id: 1, n: null });
    assert.match(
      columnError(required(col('n', 'int32')), undefined),
      new RegExp(at('n').source + 'missing \\(the column is not optional\\)'),
    );
    assert.match(
      decodeError(message({ after: { id: 1, surprise: 2 } })),
      new RegExp(at('surprise').source + 'field is not in the schema'),
    );
  });
});

describe('logical types', () => {
  test('io.debezium.time.Date: negative days, years before 1000, out of range', () => {
    const day = logicalCol('day', 'int32', 'io.debezium.time.Date');
    assert.equal(decodeColumn(day, 19782), '2024-02-29');
    assert.equal(decodeColumn(day, -1), '1969-12-31');
    assert.equal(decodeColumn(day, -719162), '0001-01-01');
    assert.equal(decodeColumn(day, -354286), '0999-12-31');
    assert.match(
      columnError(day, 2147483648),
      new RegExp(at('day').source + 'expected int32, got number 2147483648'),
    );
    assert.match(columnError(day, '2024-02-29'), new RegExp(at('day').source + 'expected int32'));
  });

  test('Time, MicroTime, NanoTime', () => {
    assert.equal(decodeColumn(logicalCol('t', 'int32', 'io.debezium.time.Time'), 49530500), '13:45:30.500');
    assert.equal(
      decodeColumn(logicalCol('t', 'int64', 'io.debezium.time.MicroTime'), 49530500000),
      '13:45:30.500000',
    );
    assert.equal(
      decodeColumn(logicalCol('t', 'int64', 'io.debezium.time.NanoTime'), 49530500000001),
      '13:45:30.500000001',
    );
    assert.match(
      columnError(logicalCol('t', 'int64', 'io.debezium.time.MicroTime'), -1),
      /time of day -1 is outside/,
    );
  });

  test('Timestamp, MicroTimestamp, NanoTimestamp: local, no Z, before 1970 too', () => {
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.Timestamp'), 1709251199123),
      '2024-02-29T23:59:59.123',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.MicroTimestamp'), 1709251199123456),
      '2024-02-29T23:59:59.123456',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.MicroTimestamp'), -2209032000000000),
      '1899-12-31T12:00:00.000000',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.NanoTimestamp'), -1),
      '1969-12-31T23:59:59.999999999',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.NanoTimestamp'), 1709251199123456789n),
      '2024-02-29T23:59:59.123456789',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'io.debezium.time.MicroTimestamp'), 9223372036854775807n),
      'infinity',
    );
    assert.equal(
      decodeColumn(logicalCol('ts', 'int64', 'org.apache.kafka.connect.data.Timestamp'), -1),
      '1969-12-31T23:59:59.999',
    );
    assert.match(
      columnError(logicalCol('ts', 'int64', 'io.debezium.time.MicroTimestamp'), 1.5),
      /expected int64, got number 1.5/,
    );
  });

  test('ZonedTimestamp and ZonedTime', () => {
    const tz = logicalCol('ts_tz', 'string', 'io.debezium.time.ZonedTimestamp');
    assert.equal(decodeColumn(tz, '2024-02-29T21:59:59.123456Z'), '2024-02-29T21:59:59.123456Z');
    assert.equal(decodeColumn(tz, '1970-01-01T00:00:00Z'), '1970-01-01T00:00:00.000000Z');
    assert.match(
      columnError(tz, 'yesterday'),
      new RegExp(at('ts_tz').source + '"yesterday" is not an ISO-8601 timestamp'),
    );
    const tt = logicalCol('tod_tz', 'string', 'io.debezium.time.ZonedTime');
    assert.equal(decodeColumn(tt, '08:15:30.5Z'), '08:15:30.500000Z');
    assert.equal(decodeColumn(tt, '13:45:30.5+05:30'), '13:45:30.500000+05:30');
  });

  test('MicroDuration and Interval', () => {
    const span = logicalCol('span', 'int64', 'io.debezium.time.MicroDuration');
    assert.equal(decodeColumn(span, 3723000001), 'PT3723.000001S');
    assert.equal(decodeColumn(span, -86400000000), 'PT-86400S');
    assert.equal(
      decodeColumn(logicalCol('span', 'string', 'io.debezium.time.Interval'), 'P1Y2M3DT4H5M6.789S'),
      'P1Y2M3DT4H5M6.789S',
    );
  });

  test('Decimal: numeric(38,10) extremes, scale 0, money, bad input', () => {
    const exact = decimalCol('exact', 10, 38);
    assert.deepEqual(
      decodeColumn(exact, 'CUmw9vACMxPESZBOzGdFFQ=='),
      new Decimal('1234567890123456789012345678.0123456789'),
    );
    assert.deepEqual(decodeColumn(exact, '/w=='), new Decimal('-0.0000000001'));
    const max38 = Buffer.from((10n ** 38n - 1n).toString(16).padStart(34, '0'), 'hex').toString('base64');
    assert.deepEqual(decodeColumn(exact, max38), new Decimal('9999999999999999999999999999.9999999999'));
    assert.deepEqual(decodeColumn(decimalCol('n', 0), 'AA=='), new Decimal('0'));
    assert.deepEqual(decodeColumn(decimalCol('n', 0), '/w=='), new Decimal('-1'));
    assert.deepEqual(decodeColumn(decimalCol('price', 2), 'nA=='), new Decimal('-1.00'));
    assert.deepEqual(decodeColumn(decimalCol('price', 2), 'AQ=='), new Decimal('0.01'));
    assert.match(
      columnError(exact, 'not-base64'),
      new RegExp(at('exact').source + 'expected decimal bytes \\(base64 string\\)'),
    );
    assert.match(columnError(exact, 1.5), /expected decimal bytes \(base64 string\), got number 1.5/);
    assert.match(columnError(exact, ''), /decimal bytes are empty/);
    const noScale = col('n', 'bytes', { name: 'org.apache.kafka.connect.data.Decimal', parameters: {} });
    assert.match(
      columnError(noScale, 'AA=='),
      /unusable schema: org.apache.kafka.connect.data.Decimal without an integer "scale" parameter/,
    );
  });

  test('VariableScaleDecimal', () => {
    const loose = variableScaleDecimalCol('loose');
    assert.deepEqual(
      decodeColumn(loose, { scale: 30, value: 'J6cIiRxT5hQNqz0r7w==' }),
      new Decimal('3.141592653589793238462643383279'),
    );
    assert.deepEqual(decodeColumn(loose, { scale: 0, value: 'AA==' }), new Decimal('0'));
    assert.deepEqual(
      decodeColumn(loose, { scale: 20, value: 'AQ==' }),
      new Decimal('0.00000000000000000001'),
    );
    assert.match(
      columnError(loose, { scale: 2 }),
      new RegExp(at('loose').source + 'expected a VariableScaleDecimal struct'),
    );
    assert.match(columnError(loose, { scale: 'x', value: 'AA==' }), /expected int32, got string "x"/);
    assert.match(
      columnError(loose, { scale: 2000000, value: 'AA==' }),
      /decimal scale 2000000 is out of range/,
    );
  });

  test('decimal.handling.mode string and double: plain string and double columns', () => {
    assert.equal(
      decodeColumn(col('exact', 'string'), '1234567890123456789012345678.0123456789'),
      '1234567890123456789012345678.0123456789',
    );
    assert.equal(decodeColumn(col('exact', 'double'), 1234.5), 1234.5);
  });

  test('Json: parsed losslessly, hostile keys kept as data', () => {
    const doc = logicalCol('doc', 'string', 'io.debezium.data.Json');
    const value = decodeColumn(
      doc,
      '{"n": 12345678901234567890, "a.b": {"$set": 1}, "list": [1, "x", null], "$where": "sleep(1)"}',
    );
    assert.deepEqual(value, {
      n: 12345678901234567890n,
      'a.b': { $set: 1 },
      list: [1, 'x', null],
      $where: 'sleep(1)',
    });
    assert.deepEqual(decodeColumn(doc, '[]'), []);
    assert.equal(decodeColumn(doc, '"text"'), 'text');
    assert.equal(decodeColumn(doc, 'null'), null);
    const proto = decodeColumn(
      doc,
      '{"__proto__": {"isAdmin": true}, "constructor": {"prototype": 1}}',
    ) as object;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.deepEqual(Object.keys(proto), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined);
    assert.match(columnError(doc, '{"a":'), new RegExp(at('doc').source + 'invalid JSON text'));
    assert.match(columnError(doc, { a: 1 }), /expected string, got object/);
  });

  test('string-based names stay strings; Bits stay base64; geometry stays a struct; unknown names by base type', () => {
    for (const name of [
      'io.debezium.data.Uuid',
      'io.debezium.data.Enum',
      'io.debezium.data.EnumSet',
      'io.debezium.data.Xml',
      'io.debezium.data.Ltree',
    ]) {
      assert.equal(decodeColumn(logicalCol('s', 'string', name), 'value <x/>'), 'value <x/>', name);
    }
    assert.equal(
      decodeColumn(col('b', 'bytes', { name: 'io.debezium.data.Bits', parameters: { length: '3' } }), 'BQ=='),
      'BQ==',
    );
    const geometry = col('g', 'struct', {
      name: 'io.debezium.data.geometry.Geometry',
      fields: [
        { type: 'bytes', optional: false, field: 'wkb' },
        { type: 'int32', optional: true, field: 'srid' },
      ],
    });
    assert.deepEqual(decodeColumn(geometry, { wkb: 'AQEAAAA=', srid: 4326 }), {
      wkb: 'AQEAAAA=',
      srid: 4326,
    });
    assert.equal(decodeColumn(logicalCol('x', 'int64', 'com.example.Whatever'), 5), 5n);
  });

  test('a known logical name on the wrong base type is an unusable schema, named', () => {
    assert.match(
      columnError(logicalCol('day', 'string', 'io.debezium.time.Date'), '2024-01-01'),
      new RegExp(
        at('day').source +
          'unusable schema: logical type io.debezium.time.Date must have type int32, the schema says string',
      ),
    );
    assert.match(columnError(col('x', 'decimal'), 1), /unusable schema: unknown type "decimal"/);
  });
});
