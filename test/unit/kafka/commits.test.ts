import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitQueue } from '../../../src/kafka/commits.js';

interface Sent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  resolve(): void;
  reject(error: Error): void;
}

/** A broker whose commit answers are given by the test, one by one. */
class FakeBroker {
  readonly sent: Sent[] = [];
  readonly acknowledged: string[] = [];
  readonly send = (topic: string, partition: number, offset: string) =>
    new Promise<void>((resolve, reject) => {
      this.sent.push({
        topic,
        partition,
        offset,
        resolve: () => {
          this.acknowledged.push(`${topic}/${partition}@${offset}`);
          resolve();
        },
        reject,
      });
    });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function queue(broker: FakeBroker) {
  const errors: string[] = [];
  const commits = new CommitQueue(broker.send, (error, topic, partition, offset) =>
    errors.push(`${topic}/${partition}@${offset}: ${(error as Error).message}`),
  );
  return { commits, errors };
}

describe('CommitQueue', () => {
  test('a commit returns once sent, before the broker acknowledges it', async () => {
    const broker = new FakeBroker();
    const { commits } = queue(broker);
    await commits.commit('t', 0, '10');
    assert.equal(broker.sent.length, 1);
    assert.deepEqual(broker.acknowledged, []);
    assert.equal(commits.inFlight, 1);
    broker.sent[0]!.resolve();
    await tick();
    assert.equal(commits.inFlight, 0);
  });

  test('commits of one partition go out one at a time, in order', async () => {
    const broker = new FakeBroker();
    const { commits } = queue(broker);
    await commits.commit('t', 0, '10');
    let secondReturned = false;
    const second = commits.commit('t', 0, '20').then(() => (secondReturned = true));
    await tick();
    // The second is neither sent nor returned while the first is unacknowledged.
    assert.equal(broker.sent.length, 1);
    assert.equal(secondReturned, false);
    broker.sent[0]!.resolve();
    await second;
    assert.deepEqual(
      broker.sent.map((s) => s.offset),
      ['10', '20'],
    );
    broker.sent[1]!.resolve();
    await tick();
    assert.deepEqual(broker.acknowledged, ['t/0@10', 't/0@20']);
  });

  test('partitions do not wait for each other', async () => {
    const broker = new FakeBroker();
    const { commits } = queue(broker);
    await commits.commit('t', 0, '10');
    await commits.commit('t', 1, '5');
    await commits.commit('u', 0, '7');
    assert.deepEqual(
      broker.sent.map((s) => `${s.topic}/${s.partition}@${s.offset}`),
      ['t/0@10', 't/1@5', 'u/0@7'],
    );
    assert.equal(commits.inFlight, 3);
  });

  test('a failed commit is reported and superseded by the next one of the partition', async () => {
    const broker = new FakeBroker();
    const { commits, errors } = queue(broker);
    await commits.commit('t', 0, '10');
    const next = commits.commit('t', 0, '20');
    broker.sent[0]!.reject(new Error('coordinator moved'));
    await next;
    assert.deepEqual(errors, ['t/0@10: coordinator moved']);
    assert.equal(broker.sent[1]!.offset, '20');
    broker.sent[1]!.resolve();
    await tick();
    assert.deepEqual(broker.acknowledged, ['t/0@20']);
  });

  test('drain waits for the commits in flight; later commits are awaited and fail to their caller', async () => {
    const broker = new FakeBroker();
    const { commits, errors } = queue(broker);
    await commits.commit('t', 0, '10');
    let drained = false;
    const draining = commits.drain().then(() => (drained = true));
    await tick();
    assert.equal(drained, false);
    broker.sent[0]!.resolve();
    await draining;

    let returned = false;
    const awaited = commits.commit('t', 0, '20').then(() => (returned = true));
    await tick();
    assert.equal(returned, false, 'while draining, a commit returns only once acknowledged');
    broker.sent[1]!.resolve();
    await awaited;

    const failing = commits.commit('t', 0, '30');
    await tick();
    broker.sent[2]!.reject(new Error('group left'));
    await assert.rejects(failing, /group left/);
    assert.deepEqual(errors, []);
  });

  test('a commit sent before drain that fails after it is still reported', async () => {
    const broker = new FakeBroker();
    const { commits, errors } = queue(broker);
    await commits.commit('t', 0, '10');
    const draining = commits.drain();
    broker.sent[0]!.reject(new Error('not coordinator'));
    await draining;
    assert.deepEqual(errors, ['t/0@10: not coordinator']);
  });
});
