import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bulkLines, chunkBySize } from '../../../../src/sinks/elasticsearch/bulk-body.js';
import { SNAPSHOT_POSITION, type SinkOp } from '../../../../src/sinks/sink.js';
import type { RowChange } from '../../../../src/decoder/types.js';
import type { Document } from '../../../../src/router/document.js';
import { parseJson } from '../../../../src/decoder/json.js';

const event = { kind: 'row' } as unknown as RowChange;

function upsert(id: string, position: bigint, document: Document, target = 'public.orders'): SinkOp {
  return { kind: 'upsert', target, id, position, event, document, unchangedColumns: [] };
}

function remove(id: string, position: bigint, target = 'public.orders'): SinkOp {
  return { kind: 'delete', target, id, position, event };
}

describe('bulkLines', () => {
  test('an upsert is an external-versioned index action and its source, each on one line', () => {
    const op = upsert('1', 23456789n, { id: 1n, name: 'Ada', price: '12.30', tags: ['a'], nothing: null });
    assert.equal(
      bulkLines(op, (op as { document: Document }).document),
      '{"index":{"_index":"public.orders","_id":"1","version":23456789,"version_type":"external"}}\n' +
        '{"id":1,"name":"Ada","price":"12.30","tags":["a"],"nothing":null}\n',
    );
  });

  test('a delete is one external-versioned delete action line, without source', () => {
    assert.equal(
      bulkLines(remove('7', 5n), null),
      '{"delete":{"_index":"public.orders","_id":"7","version":5,"version_type":"external"}}\n',
    );
  });

  test('a snapshot read replaces a document at the same position (external_gte): a later snapshot refreshes an earlier one', () => {
    assert.equal(
      bulkLines(upsert('1', SNAPSHOT_POSITION, { id: 1 }), { id: 1 }),
      `{"index":{"_index":"public.orders","_id":"1","version":${SNAPSHOT_POSITION},"version_type":"external_gte"}}\n{"id":1}\n`,
    );
  });

  test('the version is the exact integer literal, above 2^53 too', () => {
    for (const lsn of [2n ** 53n + 1n, 9223372036854775807n, 18446744073709551615n]) {
      const line = bulkLines(remove('1', lsn), null);
      assert.ok(line.includes(`"version":${lsn.toString()},`), line);
      const parsed = parseJson(line.trimEnd()) as { delete: { version: bigint } };
      assert.equal(parsed.delete.version, lsn);
    }
  });

  test('bigint values in the document are exact integer literals', () => {
    const line = bulkLines(upsert('1', 1n, { big: 9007199254740993n, nested: { n: -(2n ** 64n) } }), {
      big: 9007199254740993n,
      nested: { n: -(2n ** 64n) },
    });
    assert.equal(line.split('\n')[1], '{"big":9007199254740993,"nested":{"n":-18446744073709551616}}');
  });

  test('ids and index names with quotes, backslashes, newlines and unicode are escaped', () => {
    const id = 'a"b\\c\nd\u2028é😀\u0000';
    const line = bulkLines(remove(id, 1n, 'idx"x'), null);
    assert.equal(line.split('\n').length, 2, 'exactly one line');
    const parsed = JSON.parse(line) as { delete: { _id: string; _index: string } };
    assert.equal(parsed.delete._id, id);
    assert.equal(parsed.delete._index, 'idx"x');
  });

  test('a composite-key id (a JSON array text) round-trips as a string', () => {
    const id = '["1","x\\"y"]';
    const parsed = JSON.parse(bulkLines(remove(id, 1n), null)) as { delete: { _id: string } };
    assert.equal(parsed.delete._id, id);
  });

  test('property: every line parses, with the id, index and exact version back', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.boolean(),
        (id, version, isDelete) => {
          const op = isDelete ? remove(id, version) : upsert(id, version, { id, v: version });
          const text = bulkLines(op, isDelete ? null : { id, v: version });
          assert.ok(text.endsWith('\n'));
          const lines = text.slice(0, -1).split('\n');
          assert.equal(lines.length, isDelete ? 1 : 2);
          const action = parseJson(lines[0]!) as Record<string, { _id: string; version: bigint | number }>;
          const meta = action[isDelete ? 'delete' : 'index']!;
          assert.equal(meta._id, id);
          assert.equal(BigInt(meta.version), version);
          if (!isDelete) {
            const source = parseJson(lines[1]!) as { id: string; v: bigint | number };
            assert.equal(source.id, id);
            assert.equal(BigInt(source.v), version);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('chunkBySize', () => {
  test('groups line indexes so that each chunk stays within maxBytes', () => {
    assert.deepEqual(chunkBySize(['aaaa', 'bbbb', 'cccc', 'dd'], 8), [
      [0, 1],
      [2, 3],
    ]);
    assert.deepEqual(chunkBySize(['aaaa', 'bbbb', 'c'], 9), [[0, 1, 2]]);
  });

  test('an operation larger than maxBytes still goes, alone', () => {
    assert.deepEqual(chunkBySize(['a', 'x'.repeat(100), 'b'], 10), [[0], [1], [2]]);
  });

  test('sizes are bytes, not characters', () => {
    // "é" is 2 bytes in UTF-8: two of them fill 4 bytes.
    assert.deepEqual(chunkBySize(['éé', 'éé'], 7), [[0], [1]]);
    assert.deepEqual(chunkBySize(['éé', 'éé'], 8), [[0, 1]]);
  });

  test('no lines, no chunks', () => {
    assert.deepEqual(chunkBySize([], 100), []);
  });

  test('property: chunks cover every index once, in order, each within the limit unless alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('é', '€uro', '😀😀', ''))),
        fc.integer({ min: 1, max: 100 }),
        (lines, max) => {
          const chunks = chunkBySize(lines, max);
          assert.deepEqual(
            chunks.flat(),
            lines.map((_, index) => index),
          );
          for (const chunk of chunks) {
            assert.ok(chunk.length > 0);
            const bytes = chunk.reduce((sum, index) => sum + Buffer.byteLength(lines[index]!), 0);
            assert.ok(chunk.length === 1 || bytes <= max, `chunk of ${bytes} bytes > ${max}`);
          }
          // Greedy: a chunk is only closed when the next line would not fit.
          for (let i = 0; i + 1 < chunks.length; i++) {
            const chunk = chunks[i]!;
            const bytes = chunk.reduce((sum, index) => sum + Buffer.byteLength(lines[index]!), 0);
            const next = Buffer.byteLength(lines[chunks[i + 1]![0]!]!);
            assert.ok(bytes + next > max);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
