// Bench results to render and compare, built by hand: the report's and the pairs' tests share them.
import type { CatchUpResult } from '../../../../bench/lib/fanout.js';
import type { RawSinkResult } from '../../../../bench/lib/raw-sinks.js';

/** A catch-up of 1,000 events per sink at the given events/s, drained and verified. */
export function catchUpOf(
  runId: string,
  cpuSeconds: number,
  perSecond: Record<string, number>,
): CatchUpResult {
  return {
    runId,
    backlog: 1000,
    wallSeconds: 10,
    startupSeconds: 1,
    cpuSeconds,
    cores: 0.5,
    peakRssBytes: 100 * 2 ** 20,
    sinks: Object.entries(perSecond).map(([sink, eventsPerSecond]) => ({
      sink: sink as 'elasticsearch' | 'mongodb',
      events: 1000,
      writes: 900,
      seconds: 1000 / eventsPerSecond,
      eventsPerSecond,
      writesPerSecond: 0.9 * eventsPerSecond,
      secondsFromSpawn: 1000 / eventsPerSecond + 1,
      eventsPerSecondFromSpawn: eventsPerSecond,
      drained: true,
      stalled: false,
    })),
    deadLetters: 0,
    verify: { ok: true, seconds: 1, lines: [] },
    load: { start: [1, 1, 1], end: [2, 2, 2] },
  };
}

/** A raw limit of 1,000 documents at `docsPerSecond`. */
export function rawOf(sink: 'elasticsearch' | 'mongodb', docsPerSecond: number): RawSinkResult {
  return {
    sink,
    docs: 1000,
    seconds: 1000 / docsPerSecond,
    docsPerSecond,
    batchSize: 1000,
    concurrency: 3,
    passes: [],
  };
}
