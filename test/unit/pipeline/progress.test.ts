import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProgressWatch } from '../../../src/pipeline/progress.js';

const T = 'cdc.inventory.customers';

describe('ProgressWatch', () => {
  test('a batch in hand longer than the limit is a stall naming the partition and offset', () => {
    const watch = new ProgressWatch(60_000);
    watch.batchStarted(T, 2, '41', 1_000);
    assert.equal(watch.stall(61_000), null);
    assert.equal(
      watch.stall(61_001),
      `no progress for 60 s on ${T}/2: the batch from offset 41 is not written yet`,
    );
    watch.batchCommitted(T, 2, 0n, 70_000);
    assert.equal(watch.stall(500_000), null, 'caught up and idle is not a stall');
  });

  test('records left after the last commit with no batch arriving is a stall', () => {
    const watch = new ProgressWatch(10_000);
    watch.batchStarted(T, 0, '0', 0);
    watch.batchCommitted(T, 0, 500n, 1_000);
    assert.equal(watch.stall(11_000), null);
    assert.match(
      watch.stall(11_001) ?? '',
      /on cdc.inventory.customers\/0: 500 records wait and none is fetched/,
    );
    watch.batchStarted(T, 0, '100', 12_000);
    assert.equal(watch.stall(12_001), null, 'a new batch is progress being made');
  });

  test('an abandoned batch stops counting as in hand; forget() drops revoked partitions', () => {
    const watch = new ProgressWatch(1_000);
    watch.batchStarted(T, 1, '7', 0);
    watch.batchEnded(T, 1);
    assert.equal(watch.stall(5_000), null);
    watch.batchStarted(T, 1, '7', 6_000);
    watch.forget();
    assert.equal(watch.stall(60_000), null);
  });
});
