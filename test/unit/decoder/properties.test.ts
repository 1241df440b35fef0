// decodeRecord never throws, whatever the bytes: every failure is a DecodeError result.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { DecodeError } from '../../../src/errors.js';
import { decodeRecord } from '../../../src/decoder/index.js';
import type { RawRecord } from '../../../src/decoder/index.js';
import {
  col,
  decimalCol,
  envelope,
  json,
  keySchema,
  logicalCol,
  required,
  source,
  valueSchema,
  variableScaleDecimalCol,
  wrap,
} from './helpers.js';

function check(record: RawRecord): boolean {
  let result;
  try {
    result = decodeRecord(record);
  } catch (error) {
    assert.fail(`decodeRecord threw: ${String(error)}`);
  }
  assert.equal(typeof result.ok, 'boolean');
  if (!result.ok) {
    assert.ok(result.error instanceof DecodeError);
    assert.equal(typeof result.error.message, 'string');
  }
  return result.ok;
}

function rec(key: Buffer | string | null, value: Buffer | string | null): RawRecord {
  const buf = (b: Buffer | string | null) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b);
  return { topic: 't', partition: 0, offset: '0', key: buf(key), value: buf(value) };
}

/** JSON values that may contain bigints (written as JSON integers). */
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.string(),
    fc.constantFrom(
      '__debezium_unavailable_value',
      'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==',
      'NaN',
      'AA==',
      '{"a":1}',
      'r',
      'c',
      'u',
      'd',
      't',
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('id', 'scale', 'value', '__proto__', 'constructor', '$where', 'a.b', 'x'),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

const COLUMNS = [
  required(col('id', 'int32')),
  col('big', 'int64'),
  col('small', 'int8'),
  col('f', 'double'),
  col('flag', 'boolean'),
  col('s', 'string'),
  col('blob', 'bytes'),
  decimalCol('exact', 10, 38),
  variableScaleDecimalCol('loose'),
  logicalCol('day', 'int32', 'io.debezium.time.Date'),
  logicalCol('tod', 'int64', 'io.debezium.time.MicroTime'),
  logicalCol('ts', 'int64', 'io.debezium.time.MicroTimestamp'),
  logicalCol('nts', 'int64', 'io.debezium.time.NanoTimestamp'),
  logicalCol('ts_tz', 'string', 'io.debezium.time.ZonedTimestamp'),
  logicalCol('tod_tz', 'string', 'io.debezium.time.ZonedTime'),
  logicalCol('span', 'int64', 'io.debezium.time.MicroDuration'),
  logicalCol('doc', 'string', 'io.debezium.data.Json'),
  col('tags', 'array', { items: { type: 'string', optional: true } }),
  col('attrs', 'map', {
    keys: { type: 'string', optional: false },
    values: { type: 'string', optional: true },
  }),
];
const VALUE_SCHEMA = valueSchema(COLUMNS);
const KEY_SCHEMA = keySchema([required(col('id', 'int32'))]);

describe('decodeRecord never throws', () => {
  test('random bytes as key and value', () => {
    fc.assert(
      fc.property(
        fc.option(fc.uint8Array({ maxLength: 300 })),
        fc.option(fc.uint8Array({ maxLength: 300 })),
        (key, value) => {
          check(rec(key === null ? null : Buffer.from(key), value === null ? null : Buffer.from(value)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('random JSON texts, bare or wrapped', () => {
    fc.assert(
      fc.property(jsonish, jsonish, fc.boolean(), (key, value, wrapped) => {
        check(
          rec(json(key), wrapped ? `{"schema":${json(VALUE_SCHEMA)},"payload":${json(value)}}` : json(value)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  test('envelope-shaped objects with fields of wrong types', () => {
    const sourceArb = fc.record(
      {
        db: jsonish,
        schema: jsonish,
        table: jsonish,
        lsn: jsonish,
        ts_ms: jsonish,
        txId: jsonish,
        snapshot: jsonish,
      },
      { requiredKeys: [] },
    );
    const envelopeArb = fc.record(
      {
        op: fc.oneof(fc.constantFrom('r', 'c', 'u', 'd', 't', 'm', 'x'), jsonish),
        before: jsonish,
        after: jsonish,
        source: fc.oneof(
          sourceArb.map((s) => source(s as Record<string, unknown>)),
          jsonish,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelopeArb, fc.option(jsonish), fc.boolean(), (env, key, withSchema) => {
        const keyText = key === null ? null : withSchema ? wrap(KEY_SCHEMA, key) : json(key);
        check(rec(keyText, withSchema ? wrap(VALUE_SCHEMA, env) : json(env)));
      }),
      { numRuns: 1000 },
    );
  });

  test('valid envelopes whose columns hold random values', () => {
    const rowArb = fc.dictionary(fc.constantFrom(...COLUMNS.map((c) => String(c['field']))), jsonish, {
      maxKeys: 8,
    });
    fc.assert(
      fc.property(
        rowArb,
        rowArb,
        fc.constantFrom('r', 'c', 'u', 'd'),
        fc.boolean(),
        (before, after, op, withSchema) => {
          const env = envelope({
            op,
            before: { id: 1, ...before },
            after: op === 'd' ? null : { id: 1, ...after },
          });
          check(
            rec(
              withSchema ? wrap(KEY_SCHEMA, { id: 1 }) : '{"id":1}',
              withSchema ? wrap(VALUE_SCHEMA, env) : json(env),
            ),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('random schemas', () => {
    const schemaArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small' },
        jsonish,
        fc.record(
          {
            type: fc.oneof(
              fc.constantFrom('struct', 'array', 'map', 'int64', 'string', 'bytes', 'double', 'nope'),
              jsonish,
            ),
            optional: jsonish,
            field: fc.oneof(fc.constantFrom('id', 'before', 'after'), jsonish),
            name: fc.oneof(
              fc.constantFrom(
                'io.debezium.time.Date',
                'org.apache.kafka.connect.data.Decimal',
                'io.debezium.data.Json',
              ),
              jsonish,
            ),
            parameters: jsonish,
            items: tie('schema'),
            fields: fc.array(tie('schema'), { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
      ),
    })).schema;
    fc.assert(
      fc.property(schemaArb, schemaArb, (keySchemaValue, valueSchemaValue) => {
        const env = envelope({ after: { id: 1, x: 'y' } });
        check(
          rec(
            `{"schema":${json(keySchemaValue)},"payload":{"id":1}}`,
            `{"schema":${json(valueSchemaValue)},"payload":${json(env)}}`,
          ),
        );
      }),
      { numRuns: 1000 },
    );
  });

  test('one-character mutations of every real fixture', () => {
    const dir = fileURLToPath(new URL('../../fixtures/debezium/', import.meta.url));
    const fixtures = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as { key: string | null; value: string | null })
      .filter((f) => f.value !== null && f.value.length < 20_000);
    if (fixtures.length === 0) return;
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.nat(),
        fc.constantFrom(
          '',
          '0',
          '9',
          '"',
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '-',
          '.',
          'e',
          '\\',
          'null',
          '12345678901234567890',
        ),
        (fixture, at, insert) => {
          const value = fixture.value!;
          const i = at % value.length;
          check(rec(fixture.key, value.slice(0, i) + insert + value.slice(i + 1)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('hostile sizes', () => {
  test('deep nesting in the value, the key and a JSON column, on both parser paths', () => {
    for (const depth of [10_000, 200_000]) {
      for (const pad of ['', ',"pad":"1234567890123456"']) {
        check(rec('{"id":1}', `{"a":${'['.repeat(depth)}${']'.repeat(depth)}${pad}}`));
        check(
          rec(`{"id":${'['.repeat(depth)}${']'.repeat(depth)}${pad}}`, json(envelope({ after: { id: 1 } }))),
        );
        const deepDoc = '['.repeat(depth) + ']'.repeat(depth);
        const env = envelope({
          after: { id: 1, doc: pad === '' ? deepDoc : `[${deepDoc}, 12345678901234567890]` },
        });
        check(rec(wrap(KEY_SCHEMA, { id: 1 }), wrap(VALUE_SCHEMA, env)));
        check(
          rec(
            '{"id":1}',
            json(
              envelope({ after: { id: 1, nested: JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) } }),
            ),
          ),
        );
      }
    }
  });

  test('a deeply nested schema', () => {
    const depth = 5000;
    const deep =
      '{"type":"array","optional":true,"items":'.repeat(depth) +
      '{"type":"int64","optional":true}' +
      '}'.repeat(depth);
    const marker = '"__deep__"';
    const schema = json(
      valueSchema([required(col('id', 'int32')), { type: 'int32', field: 'deep', marker: '__deep__' }]),
    );
    const schemaText = schema
      .split(`{"type":"int32","field":"deep","marker":${marker}}`)
      .join(deep.slice(0, -1) + ',"field":"deep"}');
    const payload = json(envelope({ after: { id: 1, deep: [[[1]]] } }));
    const record = rec(wrap(KEY_SCHEMA, { id: 1 }), `{"schema":${schemaText},"payload":${payload}}`);
    assert.equal(check(record), false);
    const result = decodeRecord(record);
    // the data is shallower than the schema: the first array level that holds a number fails, named
    assert.ok(
      !result.ok &&
        result.error.message.startsWith('Cannot decode after.deep[0][0][0] of table inventory.things'),
    );
  });

  test('huge strings', () => {
    const huge = 'x'.repeat(5_000_000);
    assert.ok(check(rec('{"id":1}', json(envelope({ after: { id: 1, s: huge } })))));
    assert.ok(
      check(rec(wrap(KEY_SCHEMA, { id: 1 }), wrap(VALUE_SCHEMA, envelope({ after: { id: 1, s: huge } })))),
    );
    check(rec('{"id":1}', json(envelope({ op: huge }))));
    check(rec(wrap(KEY_SCHEMA, { id: 1 }), wrap(VALUE_SCHEMA, envelope({ after: { id: 1, blob: huge } }))));
    check(
      rec(
        wrap(KEY_SCHEMA, { id: 1 }),
        wrap(VALUE_SCHEMA, envelope({ after: { id: 1, exact: 'A'.repeat(4_000_000) } })),
      ),
    );
    check(rec(null, '1'.repeat(1_000_000)));
  });

  test('a malformed RawRecord itself', () => {
    check({ topic: 't', partition: 0, offset: '0', key: null, value: 'not a buffer' as unknown as Buffer });
    check(null as unknown as RawRecord);
  });
});
