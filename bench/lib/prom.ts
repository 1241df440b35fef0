// Pure helpers over Prometheus text exposition: samples, counters summed over labels, and
// quantiles of a histogram between two scrapes (from the deltas of its cumulative buckets).

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    const raw = match[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

const matches = (sample: Sample, labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).every(([key, value]) => sample.labels[key] === value);

/** Sum of every sample of `name` whose labels include `labels`. */
export function sumOf(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const sample of samples) if (sample.name === name && matches(sample, labels)) sum += sample.value;
  return sum;
}

/** Cumulative bucket counts of a histogram by upper bound, summed over the series matching `labels`. */
export function histogramBuckets(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${name}_bucket` || !matches(sample, labels)) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
  }
  return buckets;
}

export interface BucketCount {
  /** Upper bound (le); Infinity for the last bucket. */
  readonly le: number;
  /** Observations in (previous le, le], not cumulative. */
  readonly count: number;
}

/** Observations per bucket that happened between two scrapes (cumulative counters subtracted). */
export function bucketDeltas(before: Map<number, number>, after: Map<number, number>): BucketCount[] {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const result: BucketCount[] = [];
  let previousCumulative = 0;
  for (const le of bounds) {
    const cumulative = (after.get(le) ?? 0) - (before.get(le) ?? 0);
    result.push({ le, count: Math.max(0, cumulative - previousCumulative) });
    previousCumulative = Math.max(previousCumulative, cumulative);
  }
  return result;
}

export interface Quantile {
  /** Estimated value, linearly interpolated inside its bucket as Prometheus' histogram_quantile does. */
  readonly value: number;
  /** The bucket it fell in: the estimate is only known to lie in (lower, upper]. */
  readonly lower: number;
  readonly upper: number;
}

/**
 * The q-quantile (0 < q < 1) of the observations in `buckets`, like PromQL's histogram_quantile:
 * linear inside the bucket, the lowest bucket starting at 0, and a quantile in the +Inf bucket
 * answered with the highest finite bound. Null when there is no observation.
 */
export function quantileFromBuckets(buckets: readonly BucketCount[], q: number): Quantile | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.reduce((sum, bucket) => sum + bucket.count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  let lower = 0;
  for (const bucket of sorted) {
    if (bucket.count > 0 && cumulative + bucket.count >= rank) {
      if (bucket.le === Infinity) return { value: lower, lower, upper: Infinity };
      const fraction = (rank - cumulative) / bucket.count;
      return { value: lower + (bucket.le - lower) * fraction, lower, upper: bucket.le };
    }
    cumulative += bucket.count;
    if (bucket.le !== Infinity) lower = bucket.le;
  }
  const last = sorted[sorted.length - 1]!;
  return { value: lower, lower, upper: last.le };
}
