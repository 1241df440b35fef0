import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchAbandonedError, retryUntilDone, type RetryHooks } from '../../../src/pipeline/retry.js';
import type { BatchControl } from '../../../src/kafka/client.js';
import { PermanentSinkError, TransientSinkError } from '../../../src/errors.js';

const policy = { minTimeoutMs: 1, maxTimeoutMs: 5 };

class FakeControl implements BatchControl {
  active = true;
  heartbeats = 0;
  heartbeatError: Error | null = null;
  commits = 0;
  async heartbeat(): Promise<void> {
    this.heartbeats++;
    if (this.heartbeatError) throw this.heartbeatError;
  }
  isActive(): boolean {
    return this.active;
  }
  async commit(): Promise<void> {
    this.commits++;
  }
}

class Hooks implements RetryHooks {
  going = true;
  retries: Array<{ error: unknown; attempt: number }> = [];
  onRetry(error: unknown, attempt: number): void {
    this.retries.push({ error, attempt });
  }
  keepGoing(): boolean {
    return this.going;
  }
}

/** An attempt that fails `failures` times with the given errors, then answers `value`. */
function flaky<T>(
  failures: number,
  value: T,
  error: (n: number) => unknown = (n) => new TransientSinkError(`down ${n}`),
) {
  let calls = 0;
  const attempt = async () => {
    calls++;
    if (calls <= failures) throw error(calls);
    return value;
  };
  return { attempt, calls: () => calls };
}

/** Heartbeats run on mocked time, so a test can pass them without waiting. */
function mockInterval(t: TestContext) {
  t.mock.timers.enable({ apis: ['setInterval'] });
}

/**
 * A step that always fails transiently, under a real backoff of at least 60 s: a test would time
 * out unless something cut the wait short. Answers the retry and its attempt count.
 */
function failingWithLongBackoff(control: BatchControl, hooks: RetryHooks) {
  let calls = 0;
  const done = retryUntilDone(
    async () => {
      calls++;
      throw new TransientSinkError('down');
    },
    { minTimeoutMs: 60_000, maxTimeoutMs: 120_000 },
    control,
    hooks,
  );
  return { done: done.catch((e: unknown) => e), calls: () => calls };
}

describe('retryUntilDone', () => {
  test('a first success returns its value without retrying', async () => {
    const hooks = new Hooks();
    const { attempt, calls } = flaky(0, 'ok');
    assert.equal(await retryUntilDone(attempt, policy, new FakeControl(), hooks), 'ok');
    assert.equal(calls(), 1);
    assert.deepEqual(hooks.retries, []);
  });

  test('retries until the attempt succeeds, reporting every failed attempt in order', async () => {
    const hooks = new Hooks();
    const { attempt, calls } = flaky(15, 42);
    assert.equal(await retryUntilDone(attempt, policy, new FakeControl(), hooks), 42);
    assert.equal(calls(), 16);
    assert.deepEqual(
      hooks.retries.map((retry) => retry.attempt),
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      hooks.retries.map((retry) => (retry.error as Error).message),
      Array.from({ length: 15 }, (_, i) => `down ${i + 1}`),
    );
  });

  test("retries past p-retry's default of 10 retries (forever)", async () => {
    const { attempt, calls } = flaky(25, 'done');
    assert.equal(await retryUntilDone(attempt, policy, new FakeControl(), new Hooks()), 'done');
    assert.equal(calls(), 26);
  });

  test('any error is retried: permanent-looking, TypeError, a thrown string', async () => {
    const errors: unknown[] = [
      new PermanentSinkError('odd'),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'a string',
      new Error('plain'),
    ];
    const { attempt, calls } = flaky(errors.length, 'ok', (n) => errors[n - 1]);
    const hooks = new Hooks();
    assert.equal(await retryUntilDone(attempt, policy, new FakeControl(), hooks), 'ok');
    assert.equal(calls(), errors.length + 1);
    assert.equal(hooks.retries.length, errors.length);
    assert.match(String((hooks.retries[1]?.error as Error).message), /Cannot read properties of undefined/);
    assert.match(String((hooks.retries[2]?.error as Error).message), /a string/);
  });

  test('abandons with BatchAbandonedError once keepGoing() turns false, and stops attempting', async () => {
    const hooks = new Hooks();
    const { attempt, calls } = flaky(Infinity, 'never', (n) => {
      if (n === 3) hooks.going = false;
      return new TransientSinkError(`down ${n}`);
    });
    await assert.rejects(retryUntilDone(attempt, policy, new FakeControl(), hooks), BatchAbandonedError);
    assert.equal(calls(), 3);
    await sleep(20);
    assert.equal(calls(), 3, 'no attempt after abandoning');
  });

  test('abandons with BatchAbandonedError once the batch is no longer active', async () => {
    const control = new FakeControl();
    const { attempt, calls } = flaky(Infinity, 'never', (n) => {
      if (n === 4) control.active = false;
      return new TransientSinkError(`down ${n}`);
    });
    const error = await retryUntilDone(attempt, policy, control, new Hooks()).catch((e: unknown) => e);
    assert.ok(error instanceof BatchAbandonedError);
    assert.match(error.message, /^batch abandoned without commit: /);
    assert.equal(error.retriable, true);
    assert.equal(calls(), 4);
    await sleep(20);
    assert.equal(calls(), 4);
    assert.equal(control.commits, 0);
  });

  test('an attempt that succeeds is not abandoned even if the batch turns inactive meanwhile', async () => {
    const control = new FakeControl();
    const result = await retryUntilDone(
      async () => {
        control.active = false;
        return 'written';
      },
      policy,
      control,
      new Hooks(),
    );
    assert.equal(result, 'written');
  });
});

describe('retryUntilDone heartbeats (mocked interval)', () => {
  test('heartbeats every 3 s while retrying and stops once done', async (t) => {
    mockInterval(t);
    const control = new FakeControl();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const done = retryUntilDone(
      async () => {
        await gate;
        return 'ok';
      },
      policy,
      control,
      new Hooks(),
    );
    t.mock.timers.tick(2999);
    assert.equal(control.heartbeats, 0);
    t.mock.timers.tick(1);
    assert.equal(control.heartbeats, 1);
    t.mock.timers.tick(6000);
    assert.equal(control.heartbeats, 3);
    release();
    assert.equal(await done, 'ok');
    t.mock.timers.tick(30000);
    assert.equal(control.heartbeats, 3, 'the heartbeat interval is cleared');
  });

  test('a revoked partition abandons a long backoff wait without waiting it out', async (t) => {
    mockInterval(t);
    const control = new FakeControl();
    const { done, calls } = failingWithLongBackoff(control, new Hooks());
    await sleep(5);
    assert.equal(calls(), 1);
    control.active = false;
    t.mock.timers.tick(3000);
    const error = await done;
    assert.ok(error instanceof BatchAbandonedError);
    assert.match(error.message, /partition revoked/);
    assert.equal(calls(), 1);
    assert.equal(control.heartbeats, 0, 'no heartbeat for a batch that is no longer ours');
  });

  test('a failed heartbeat abandons the batch, naming the cause', async (t) => {
    mockInterval(t);
    const control = new FakeControl();
    control.heartbeatError = new Error('REBALANCE_IN_PROGRESS');
    const { done } = failingWithLongBackoff(control, new Hooks());
    await sleep(5);
    t.mock.timers.tick(3000);
    const error = await done;
    assert.ok(error instanceof BatchAbandonedError);
    assert.match(error.message, /heartbeat failed: REBALANCE_IN_PROGRESS/);
  });
});

describe('retryUntilDone while the service stops', () => {
  test('a backoff wait is cut short: abandoned at the next heartbeat, no other attempt', async (t) => {
    mockInterval(t);
    const hooks = new Hooks();
    const { done, calls } = failingWithLongBackoff(new FakeControl(), hooks);
    await sleep(5);
    hooks.going = false;
    t.mock.timers.tick(3000);
    const error = await done;
    assert.ok(error instanceof BatchAbandonedError);
    assert.match(error.message, /service stopping/);
    assert.equal(calls(), 1);
  });

  test('the attempt in flight when keepGoing() turns false is let finish (past a heartbeat), none follows', async () => {
    const hooks = new Hooks();
    const control = new FakeControl();
    let calls = 0;
    const result = await retryUntilDone(
      async () => {
        calls++;
        hooks.going = false;
        await sleep(3500);
        return 'written';
      },
      policy,
      control,
      hooks,
    );
    assert.equal(result, 'written');
    assert.equal(calls, 1);
    assert.ok(control.heartbeats >= 1, 'the membership was kept alive meanwhile');
  });
});
