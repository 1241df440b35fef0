import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowChange } from '../../../src/decoder/types.js';
import { SNAPSHOT_POSITION, predatesTruncate, type SinkOp } from '../../../src/sinks/sink.js';

function op(position: bigint, commitTsMs = 0): SinkOp {
  const event = { position: { commitTsMs } } as unknown as RowChange;
  return { kind: 'delete', target: 't', id: '1', position, event };
}

describe('predatesTruncate', () => {
  const mark = { position: 0x2000000n, commitTsMs: 1_000 };
  test('a streamed change: by position', () => {
    assert.equal(predatesTruncate(op(0x1ffffffn), mark), true);
    assert.equal(predatesTruncate(op(0x2000000n), mark), false);
    assert.equal(predatesTruncate(op(0x2000001n), mark), false);
  });
  test('a snapshot read (all at one position): by the time of the read against the truncate commit', () => {
    assert.equal(predatesTruncate(op(SNAPSHOT_POSITION, 999), mark), true);
    assert.equal(predatesTruncate(op(SNAPSHOT_POSITION, 1_000), mark), false);
  });
});
