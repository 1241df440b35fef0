// The Postgres reader must render values exactly as Debezium sends them, or verify reports drift
// that is not there. The expected strings were read off the real connector (Debezium 3.2.3).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Decimal } from '../../../src/decoder/types.js';
import type { ColumnInfo } from '../../../src/postgres/catalog.js';
import { columnValue, debeziumIntervalSeconds, variableScaleText } from '../../../src/postgres/row-values.js';

const column = (type: string, typmod = -1): ColumnInfo => ({
  name: 'c',
  type,
  typeKind: 'b',
  elementType: null,
  sqlType: type,
  typmod,
});

describe('interval seconds', () => {
  const observed: Array<[string, string]> = [
    ['6.789000', '6.789'],
    ['21.965973', '21.965972999'],
    ['0.100000', '0.1'],
    ['0.300000', '0.3'],
    ['1.000001', '1.000001'],
    ['59.999999', '59.999999'],
    ['5.500000', '5.5'],
    ['0.123456', '0.123456'],
    ['2.675000', '2.675'],
    ['13.370000', '13.37'],
    ['7.000007', '7.000007'],
    ['44.444444', '44.444444'],
    ['0.000000', '0'],
    ['0', '0'],
    ['-6.500000', '-6.5'],
  ];
  for (const [postgres, debezium] of observed) {
    test(`${postgres} prints as ${debezium}`, () =>
      assert.equal(debeziumIntervalSeconds(postgres), debezium));
  }

  test('a whole interval renders every component like io.debezium.time.Interval', () => {
    assert.equal(columnValue(column('interval'), '1 2 3 4 5 6.789000'), 'P1Y2M3DT4H5M6.789S');
    assert.equal(columnValue(column('interval'), '0 0 -1 0 0 0.000000'), 'P0Y0M-1DT0H0M0S');
  });
});

describe('numeric without declared scale', () => {
  test('trailing fraction zeros are stripped, never below scale 0', () => {
    assert.equal(variableScaleText('1.2436200'), '1.24362');
    assert.equal(variableScaleText('100'), '100');
    assert.equal(variableScaleText('0.000'), '0');
    assert.equal(variableScaleText('-0.0000000100'), '-0.00000001');
  });

  test('only unconstrained numerics are stripped; numeric(p,s) keeps its scale', () => {
    assert.deepEqual(columnValue(column('numeric', -1), '1.2436200'), new Decimal('1.24362'));
    assert.deepEqual(columnValue(column('numeric', 12 << 16), '89.9900'), new Decimal('89.9900'));
  });
});
