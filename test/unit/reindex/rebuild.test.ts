import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noWorse } from '../../../src/reindex/rebuild.js';
import type { TableReport } from '../../../src/verify/verify.js';

function report(missing: number, extra: number, different: number): TableReport {
  return {
    table: 's.t',
    sink: 'mongodb',
    target: 's.t',
    sourceRows: 100,
    sinkDocuments: 100 - missing + extra,
    missing: { count: missing, ids: [] },
    extra: { count: extra, ids: [] },
    different: { count: different, examples: [] },
    ok: missing + extra + different === 0,
  };
}

describe('verifying the new collection against the live one', () => {
  test('changes in flight: no more missing or extra documents, nor more different ones, than live', () => {
    assert.equal(noWorse(report(2, 1, 3), report(1, 2, 3)), true);
    assert.equal(noWorse(report(2, 1, 4), report(1, 2, 3)), false);
  });

  test('a live collection in the old shape (every document different) excuses no missing rows', () => {
    // 10 problems against 100: fewer in all, yet 10 rows missing where live misses none.
    assert.equal(noWorse(report(10, 0, 0), report(0, 0, 100)), false);
    assert.equal(noWorse(report(0, 0, 2), report(0, 0, 100)), true);
  });
});
