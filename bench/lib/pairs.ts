// A sink's catch-up as a share of its raw limit, from rounds that each measure both back to back.
// On this shared 2-core machine one raw pass and one catch-up of the same code vary by a third from
// run to run (the twenty-first session saw 0.51x-0.69x for one build), and sections 1 and 2a are
// taken with other phases between them: a ratio of one of each says more about the minutes it was
// taken in than about the service. A round pairs a raw pass with the one-sink catch-up right after
// it, so that both see the same machine; the median over the rounds is the figure to judge a goal
// by, and the range says how far to trust it.
import type { CatchUpResult } from './fanout.js';
import type { RawSinkResult } from './raw-sinks.js';

export interface PairedRound {
  readonly round: number;
  readonly raw: RawSinkResult;
  /** The one-sink catch-up right after the raw pass; null when it failed (then `error`). */
  readonly alone: CatchUpResult | null;
  readonly error?: string;
}

export interface PairedRatios {
  readonly sink: 'elasticsearch' | 'mongodb';
  readonly rounds: PairedRound[];
}

/**
 * A round's catch-up events/s over its raw docs/s; null when the catch-up did not drain, stalled,
 * failed or disagreed with Postgres (a fast wrong run is no figure).
 */
export function roundRatio(round: PairedRound): number | null {
  const own = round.alone?.sinks.find((entry) => entry.sink === round.raw.sink);
  if (!own || !own.drained || own.stalled || round.alone?.verify?.ok !== true) return null;
  if (!(round.raw.docsPerSecond > 0)) return null;
  return own.eventsPerSecond / round.raw.docsPerSecond;
}

export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Rounds that gave a ratio. */
  readonly counted: number;
  readonly rounds: number;
}

/** The median of the rounds' ratios (the mean of the middle two for an even count), or null. */
export function summariseRatios(pairs: PairedRatios): RatioSummary | null {
  const ratios = pairs.rounds
    .map(roundRatio)
    .filter((ratio): ratio is number => ratio !== null)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return null;
  const middle = ratios.length >> 1;
  const median = ratios.length % 2 === 1 ? ratios[middle]! : (ratios[middle - 1]! + ratios[middle]!) / 2;
  return {
    median,
    min: ratios[0]!,
    max: ratios[ratios.length - 1]!,
    counted: ratios.length,
    rounds: pairs.rounds.length,
  };
}
