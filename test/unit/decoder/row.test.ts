import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord } from '../../../src/decoder/index.js';
import {
  TOAST_PLACEHOLDER as P,
  TOAST_PLACEHOLDER_BASE64 as P64,
  TOAST_PLACEHOLDER_UUID as PUUID,
} from '../../../src/decoder/toast.js';
import { col, decimalCol, decodeRow, logicalCol, message, required } from './helpers.js';

const ID = required(col('id', 'int32'));
const CODES = Array.from(P, (c) => c.charCodeAt(0));

const COLUMNS = [
  ID,
  col('big_text', 'string'),
  logicalCol('doc', 'string', 'io.debezium.data.Json'),
  col('tags', 'array', { items: { type: 'string', optional: true } }),
  col('ids', 'array', { items: { type: 'int64', optional: true } }),
  col('uids', 'array', { items: { type: 'string', optional: true, name: 'io.debezium.data.Uuid' } }),
  col('blob', 'bytes'),
  col('blob64', 'string'),
  col('attrs', 'map', {
    keys: { type: 'string', optional: false },
    values: { type: 'string', optional: true },
  }),
  col('n', 'int32'),
];

describe('unchanged TOAST columns', () => {
  test('every placeholder form is left out of after and named in unchangedColumns', () => {
    const after = {
      id: 1,
      big_text: P,
      doc: P,
      tags: [P],
      ids: CODES,
      uids: [PUUID],
      blob: P64,
      blob64: P64,
      attrs: { [P]: P },
      n: 5,
    };
    const row = decodeRow(message({ op: 'u', after }, { columns: COLUMNS }));
    assert.deepEqual(row.after, { id: 1, n: 5 });
    assert.deepEqual(row.unchangedColumns, [
      'big_text',
      'doc',
      'tags',
      'ids',
      'uids',
      'blob',
      'blob64',
      'attrs',
    ]);
  });

  test('in before they are dropped without being listed', () => {
    const before = {
      id: 1,
      big_text: P,
      doc: '{}',
      tags: null,
      ids: null,
      uids: null,
      blob: null,
      blob64: null,
      attrs: null,
      n: 4,
    };
    const after = { ...before, big_text: 'new', n: 5 };
    const row = decodeRow(message({ op: 'u', before, after }, { columns: COLUMNS }));
    assert.equal(row.before !== null && 'big_text' in row.before, false);
    assert.equal(row.after?.['big_text'], 'new');
    assert.deepEqual(row.unchangedColumns, []);
  });

  test('the placeholder only counts where its type can carry it', () => {
    const row = decodeRow(
      message(
        { op: 'u', after: { id: 1, big_text: 'x', n: null, tags: [P, 'other'], blob: 'AA==' } },
        { columns: COLUMNS },
      ),
    );
    assert.deepEqual(row.unchangedColumns, []);
    assert.deepEqual(row.after?.['tags'], [P, 'other']);
    // an int column cannot hold the string: a type error, not a placeholder
    const result = decodeRecord(message({ op: 'u', after: { id: 1, n: P } }, { columns: COLUMNS }));
    assert.equal(result.ok, false);
    // a bytes column's placeholder is the base64 form, not the text
    const asText = decodeRecord(message({ op: 'u', after: { id: 1, blob: P } }, { columns: COLUMNS }));
    assert.equal(asText.ok, false);
  });

  test('a decimal or other bytes column with the placeholder bytes', () => {
    const row = decodeRow(
      message({ op: 'u', after: { id: 1, amount: P64 } }, { columns: [ID, decimalCol('amount', 2)] }),
    );
    assert.deepEqual(row.after, { id: 1 });
    assert.deepEqual(row.unchangedColumns, ['amount']);
  });

  test('without a schema every form is recognised', () => {
    const after = { id: 1, a: P, b: [P], c: P64, d: CODES, e: { [P]: P }, f: 'kept' };
    const row = decodeRow(message({ op: 'u', after }, { columns: null }));
    assert.deepEqual(row.after, { id: 1, f: 'kept' });
    assert.deepEqual(row.unchangedColumns, ['a', 'b', 'c', 'd', 'e']);
  });
});

describe('hostile column names are data', () => {
  test('with a schema', () => {
    const columns = [
      ID,
      col('__proto__', 'string'),
      col('constructor', 'int64'),
      col('$where', 'string'),
      col('a.b', 'string'),
    ];
    const text = `{"id":1,"__proto__":"p","constructor":1234567890123456789,"$where":"sleep(1)","a.b":"dot"}`;
    const raw = message({ after: { id: 1 } }, { columns });
    const patched = {
      ...raw,
      value: Buffer.from(raw.value!.toString().replace('"after":{"id":1}', `"after":${text}`)),
    };
    const row = decodeRow(patched);
    const after = row.after!;
    assert.equal(Object.getPrototypeOf(after), Object.prototype);
    assert.deepEqual(Object.keys(after), ['id', '__proto__', 'constructor', '$where', 'a.b']);
    assert.equal(Object.getOwnPropertyDescriptor(after, '__proto__')?.value, 'p');
    assert.equal(after['constructor'], 1234567890123456789n);
    assert.equal(after['$where'], 'sleep(1)');
  });

  test('a schema column missing from the payload is never read from the prototype', () => {
    const columns = [ID, col('constructor', 'string'), col('toString', 'string'), col('__proto__', 'string')];
    const row = decodeRow(message({ after: { id: 1 } }, { columns }));
    assert.equal(Object.getOwnPropertyDescriptor(row.after!, 'constructor')?.value, null);
    assert.equal(Object.getOwnPropertyDescriptor(row.after!, 'toString')?.value, null);
    assert.equal(Object.getOwnPropertyDescriptor(row.after!, '__proto__')?.value, null);
    assert.equal(Object.getPrototypeOf(row.after), Object.prototype);
  });
});

describe('decoding is repeatable', () => {
  test('the same record twice gives equal, independent events (the schema cache holds no values)', () => {
    const record = message(
      { after: { id: 1, big: 9223372036854775807n, day: 0 } },
      {
        columns: [ID, col('big', 'int64'), logicalCol('day', 'int32', 'io.debezium.time.Date')],
      },
    );
    const a = decodeRow(record);
    const b = decodeRow(record);
    assert.deepEqual(a, b);
    assert.notEqual(a.after, b.after);
    assert.deepEqual(a.after, { id: 1, big: 9223372036854775807n, day: '1970-01-01' });
  });
});
