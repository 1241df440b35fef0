import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLookahead } from '../../../src/kafka/lookahead.js';

/** A batch's handling whose end the test decides. */
function handling() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

function lookahead() {
  const seeks: string[] = [];
  const ahead = new PartitionLookahead((topic, partition, from) =>
    seeks.push(`${topic}/${partition}@${from}`),
  );
  return { ahead, seeks };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PartitionLookahead', () => {
  test('a partition with nothing in flight may start at once', async () => {
    const { ahead } = lookahead();
    assert.equal(await ahead.settle('t', 0, '0'), null);
  });

  test("the next batch of a partition waits for the one in flight, other partitions' do not", async () => {
    const { ahead } = lookahead();
    const first = handling();
    ahead.start('t', 0, '0', first.promise);
    let nextMayStart = false;
    const next = ahead.settle('t', 0, '100').then((failed) => {
      nextMayStart = failed === null;
    });
    assert.equal(await ahead.settle('t', 1, '0'), null, 'another partition is not held back');
    await tick();
    assert.equal(nextMayStart, false, 'the same partition waits');
    first.finish();
    await next;
    assert.equal(nextMayStart, true);
    assert.equal(ahead.size, 0);
  });

  test('a batch past a failed one is refused, and the partition is read again from the failed start', async () => {
    const { ahead, seeks } = lookahead();
    const first = handling();
    ahead.start('t', 2, '100', first.promise);
    first.fail(new Error('sink down'));
    const failed = await ahead.settle('t', 2, '250');
    assert.ok(failed);
    assert.equal(failed.refetchFrom, '100');
    assert.equal((failed.error as Error).message, 'sink down');
    // Sought as soon as it failed, not only when the next batch of the partition came.
    assert.deepEqual(seeks, ['t/2@100']);
    // Once said, the failure is not said again: the batch read again from 100 is handled.
    assert.equal(await ahead.settle('t', 2, '100'), null);
  });

  test('a batch read again from at or before the failed start holds the failed records: it may start', async () => {
    const { ahead } = lookahead();
    const first = handling();
    ahead.start('t', 0, '100', first.promise);
    first.fail(new Error('partition revoked'));
    assert.equal(await ahead.settle('t', 0, '100'), null);
    const again = handling();
    ahead.start('t', 0, '40', again.promise);
    again.fail(new Error('once more'));
    assert.equal(await ahead.settle('t', 0, '7'), null, 'read from the committed offset after a rejoin');
  });

  test('offsets are compared as numbers, not as text', async () => {
    const { ahead } = lookahead();
    const first = handling();
    ahead.start('t', 0, '9', first.promise);
    first.fail(new Error('x'));
    const failed = await ahead.settle('t', 0, '10');
    assert.equal(failed?.refetchFrom, '9', '"10" lies past "9" although it sorts before it');
  });

  test('drain waits for every batch in flight, failed ones included, and never rejects', async () => {
    const { ahead } = lookahead();
    const a = handling();
    const b = handling();
    ahead.start('t', 0, '0', a.promise);
    ahead.start('u', 0, '0', b.promise);
    let drained = false;
    const drain = ahead.drain().then(() => (drained = true));
    a.finish();
    await tick();
    assert.equal(drained, false);
    b.fail(new Error('halted'));
    await drain;
    assert.equal(drained, true);
  });
});
