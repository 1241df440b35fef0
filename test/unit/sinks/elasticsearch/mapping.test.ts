// Which fields get an explicit Elasticsearch mapping, and how an index's existing mapping is read
// and compared with them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnType, ColumnTypes } from '../../../../src/decoder/types.js';
import {
  diffMapping,
  knownMapping,
  mappingProperties,
  recordMapped,
  wantedFields,
} from '../../../../src/sinks/elasticsearch/mapping.js';

const t = {
  int: { type: 'int32', logical: null, optional: true, value: 'integer' } as ColumnType,
  bigint: { type: 'int64', logical: null, optional: true, value: 'int64' } as ColumnType,
  double: { type: 'float64', logical: null, optional: true, value: 'float' } as ColumnType,
  float: { type: 'float32', logical: null, optional: true, value: 'float' } as ColumnType,
  text: { type: 'string', logical: null, optional: true, value: 'string' } as ColumnType,
  decimal: {
    type: 'bytes',
    logical: 'org.apache.kafka.connect.data.Decimal',
    optional: true,
    value: 'decimal',
  } as ColumnType,
  time: {
    type: 'int64',
    logical: 'io.debezium.time.MicroTimestamp',
    optional: true,
    value: 'temporal',
  } as ColumnType,
  json: { type: 'string', logical: 'io.debezium.data.Json', optional: true, value: 'json' } as ColumnType,
};

function columns(entries: Record<string, ColumnType>): ColumnTypes {
  return new Map(Object.entries(entries));
}

const all = () => true;

describe('wantedFields', () => {
  test('float32 and float64 columns are mapped as double, timestamps as date; other types are left to dynamic mapping', () => {
    const wanted = wantedFields(
      columns({ id: t.int, big: t.bigint, r: t.double, f: t.float, s: t.text, ts: t.time, doc: t.json }),
      'string',
      all,
    );
    assert.deepEqual(wanted, [
      { column: 'r', field: 'r', path: 'r', type: 'double' },
      { column: 'f', field: 'f', path: 'f', type: 'double' },
      { column: 'ts', field: 'ts', path: 'ts', type: 'date' },
    ]);
  });

  test('decimals are mapped as double only when they are written as numbers', () => {
    assert.deepEqual(wantedFields(columns({ d: t.decimal }), 'string', all), []);
    assert.deepEqual(wantedFields(columns({ d: t.decimal }), 'double', all), [
      { column: 'd', field: 'd', path: 'd', type: 'double' },
    ]);
  });

  test('arrays are mapped as their items, struct fields by their path', () => {
    const point: ColumnType = {
      type: 'struct',
      logical: 'io.debezium.data.geometry.Point',
      optional: true,
      value: 'struct',
      fields: columns({ x: t.double, y: t.double, srid: t.int }),
    };
    const list: ColumnType = {
      type: 'array',
      logical: null,
      optional: true,
      value: 'array',
      items: t.double,
    };
    const map: ColumnType = {
      type: 'map',
      logical: null,
      optional: true,
      value: 'map',
      keys: t.text,
      values: t.double,
    };
    assert.deepEqual(wantedFields(columns({ p: point, xs: list, m: map }), 'string', all), [
      { column: 'p', field: 'p', path: 'p.x', type: 'double' },
      { column: 'p', field: 'p', path: 'p.y', type: 'double' },
      { column: 'xs', field: 'xs', path: 'xs', type: 'double' },
    ]);
  });

  test('a renamed column is mapped under its new field name, nested paths included', () => {
    const point: ColumnType = {
      type: 'struct',
      logical: null,
      optional: true,
      value: 'struct',
      fields: columns({ x: t.double, y: t.double }),
    };
    const renames = new Map([
      ['r', 'ratio'],
      ['p', 'place'],
    ]);
    assert.deepEqual(
      wantedFields(columns({ r: t.double, p: point, ts: t.time }), 'string', all, (c) => renames.get(c) ?? c),
      [
        { column: 'r', field: 'ratio', path: 'ratio', type: 'double' },
        { column: 'p', field: 'place', path: 'place.x', type: 'double' },
        { column: 'p', field: 'place', path: 'place.y', type: 'double' },
        { column: 'ts', field: 'ts', path: 'ts', type: 'date' },
      ],
    );
  });

  test('only selected columns', () => {
    assert.deepEqual(
      wantedFields(columns({ a: t.double, b: t.double }), 'string', (c) => c === 'b'),
      [{ column: 'b', field: 'b', path: 'b', type: 'double' }],
    );
  });
});

describe('knownMapping', () => {
  test('flattens properties of every concrete index into dotted paths', () => {
    const known = knownMapping({
      'idx-1': {
        mappings: {
          dynamic_templates: [],
          properties: {
            r: { type: 'long' },
            name: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
            p: { properties: { x: { type: 'double', ignore_malformed: true }, y: { type: 'double' } } },
            n: { type: 'nested', properties: { v: { type: 'float' } } },
          },
        },
      },
    });
    assert.deepEqual(Object.fromEntries(known), {
      r: 'long',
      name: 'text',
      p: 'object',
      'p.x': 'double',
      'p.y': 'double (refuses malformed values)',
      n: 'nested',
      'n.v': 'float',
    });
  });

  test('an index without properties, or an alias over indices that disagree', () => {
    assert.equal(knownMapping({ idx: { mappings: {} } }).size, 0);
    const known = knownMapping({
      a: { mappings: { properties: { r: { type: 'double', ignore_malformed: true } } } },
      b: { mappings: { properties: { r: { type: 'long' } } } },
    });
    assert.equal(known.get('r'), 'double or long');
  });
});

describe('diffMapping', () => {
  const wanted = [
    { column: 'r', field: 'r', path: 'r', type: 'double' as const },
    { column: 'p', field: 'p', path: 'p.x', type: 'double' as const },
  ];

  test('missing fields are to be mapped; fields mapped as double are fine', () => {
    assert.deepEqual(diffMapping(wanted, new Map()), { missing: wanted, conflicts: [] });
    const known = new Map([
      ['r', 'double'],
      ['p', 'object'],
      ['p.x', 'double'],
    ]);
    assert.deepEqual(diffMapping(wanted, known), { missing: [], conflicts: [] });
  });

  test('a double without ignore_malformed is to be mapped again (the flag is updatable), not a conflict', () => {
    const known = new Map([
      ['r', 'double (refuses malformed values)'],
      ['p', 'object'],
      ['p.x', 'double'],
    ]);
    assert.deepEqual(diffMapping(wanted, known), { missing: [wanted[0]], conflicts: [] });
  });

  test('a date column an index maps otherwise (text holds every value) is neither changed nor a conflict', () => {
    const at = { column: 'at', field: 'at', path: 'at', type: 'date' as const };
    assert.deepEqual(diffMapping([at], new Map([['at', 'text']])), { missing: [], conflicts: [] });
    assert.deepEqual(diffMapping([at], new Map([['at', 'date (refuses malformed values)']])), {
      missing: [at],
      conflicts: [],
    });
  });

  test('a field mapped otherwise, or an enclosing path that is no object, conflicts', () => {
    const known = new Map([
      ['r', 'long'],
      ['p', 'keyword'],
    ]);
    assert.deepEqual(diffMapping(wanted, known), {
      missing: [],
      conflicts: [
        { field: wanted[0], path: 'r', existing: 'long' },
        { field: wanted[1], path: 'p', existing: 'keyword' },
      ],
    });
    // float would refuse 1e300: only double is compatible
    assert.equal(diffMapping(wanted.slice(0, 1), new Map([['r', 'float']])).conflicts.length, 1);
  });
});

describe('mappingProperties and recordMapped', () => {
  test('nests paths into properties, and column names are data', () => {
    const fields = [
      { column: 'r', field: 'r', path: 'r', type: 'double' as const },
      { column: 'p', field: 'p', path: 'p.x', type: 'double' as const },
      { column: 'p', field: 'p', path: 'p.y', type: 'double' as const },
      { column: '__proto__', field: '__proto__', path: '__proto__', type: 'double' as const },
    ];
    const properties = mappingProperties(fields);
    assert.equal(
      JSON.stringify(properties),
      '{"r":{"type":"double","ignore_malformed":true},"p":{"properties":{"x":{"type":"double","ignore_malformed":true},"y":{"type":"double","ignore_malformed":true}}},"__proto__":{"type":"double","ignore_malformed":true}}',
    );
    assert.equal(Object.getPrototypeOf(properties), Object.prototype);
    const known = new Map<string, string>();
    recordMapped(known, fields);
    assert.deepEqual(Object.fromEntries(known), {
      r: 'double',
      p: 'object',
      'p.x': 'double',
      'p.y': 'double',
      ['__proto__']: 'double',
    });
  });
});
