// Retries a step that failed transiently, with exponential backoff and jitter, for as long as it
// takes, while keeping the consumer's group membership alive. It gives up only when the batch is no
// longer ours (rebalance, shutdown): then nothing is committed and the next owner redoes it.
import pRetry from 'p-retry';
import { CdcFanoutError, TransientSinkError, errorMessage } from '../errors.js';
import type { BatchControl } from '../kafka/client.js';

export interface RetryPolicy {
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** The batch was abandoned without committing: its partition moved away or the service stops. */
export class BatchAbandonedError extends CdcFanoutError {
  constructor(reason: string) {
    super(`batch abandoned without commit: ${reason}`, { retriable: true });
  }
}

const HEARTBEAT_INTERVAL_MS = 3000;

export interface RetryHooks {
  /** Called after every failed attempt, before the wait. */
  onRetry(error: unknown, attempt: number): void;
  /** Tells whether to keep trying; false abandons the batch. */
  keepGoing(): boolean;
}

export async function retryUntilDone<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  control: BatchControl,
  hooks: RetryHooks,
): Promise<T> {
  const abort = new AbortController();
  let attempting = false;
  const heartbeat = setInterval(() => {
    // Only a partition that moved away abandons the attempt in flight. When the service stops, that
    // attempt may finish (and its batch commit), a backoff wait is cut short, and shouldRetry starts
    // no other attempt. The shutdown deadline (SHUTDOWN_TIMEOUT_MS) bounds the wait.
    if (!control.isActive()) {
      abort.abort(new BatchAbandonedError('partition revoked'));
      return;
    }
    if (!attempting && !hooks.keepGoing()) {
      abort.abort(new BatchAbandonedError('service stopping'));
      return;
    }
    control.heartbeat().catch((error: unknown) => {
      abort.abort(new BatchAbandonedError(`heartbeat failed: ${errorMessage(error)}`));
    });
  }, HEARTBEAT_INTERVAL_MS);
  try {
    return await pRetry(
      async () => {
        if (abort.signal.aborted) throw abort.signal.reason;
        attempting = true;
        try {
          return await attempt();
        } catch (error) {
          // p-retry gives up at once on a TypeError or a non-Error; anything not ours is transient.
          if (error instanceof TypeError || !(error instanceof Error))
            throw new TransientSinkError(errorMessage(error), error);
          throw error;
        } finally {
          attempting = false;
        }
      },
      {
        forever: true,
        factor: 2,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        randomize: true,
        signal: abort.signal,
        shouldRetry: () => !abort.signal.aborted && hooks.keepGoing() && control.isActive(),
        onFailedAttempt: (error) => hooks.onRetry(error, error.attemptNumber),
      },
    );
  } catch (error) {
    if (abort.signal.aborted) throw abort.signal.reason;
    if (!hooks.keepGoing() || !control.isActive()) throw new BatchAbandonedError('service stopping');
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}
