import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactQuantile, sourceTsMs } from '../../../bench/lib/baseline.js';

describe('bench baseline latency helpers', () => {
  it('takes nearest-rank quantiles of sorted values', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(exactQuantile(values, 0.5), 50);
    assert.equal(exactQuantile(values, 0.99), 99);
    assert.equal(exactQuantile(values, 1), 100);
    assert.equal(exactQuantile([7], 0.99), 7);
    assert.equal(exactQuantile([], 0.5), null);
  });

  it('reads source.ts_ms from both Debezium JSON forms and ignores tombstones and garbage', () => {
    const bare = { before: null, after: { id: 1 }, source: { ts_ms: 1700000000123 }, op: 'c' };
    assert.equal(sourceTsMs(Buffer.from(JSON.stringify(bare))), 1700000000123);
    assert.equal(sourceTsMs(Buffer.from(JSON.stringify({ schema: {}, payload: bare }))), 1700000000123);
    assert.equal(sourceTsMs(null), null);
    assert.equal(sourceTsMs(Buffer.from('not json')), null);
  });
});
