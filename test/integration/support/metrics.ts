// Reads samples out of Prometheus text exposition, for asserting how far a counter moved.
interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

function samples(text: string, name: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1]!, pair[2]!]),
    );
    found.push({ labels, value: Number(match[2]) });
  }
  return found;
}

const matches = (sample: Sample, labels: Record<string, string>) =>
  Object.entries(labels).every(([key, value]) => sample.labels[key] === value);

/** The first sample of `name` whose labels include `labels`, or 0 when there is none. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  return samples(text, name).find((sample) => matches(sample, labels))?.value ?? 0;
}

/** The sum of every sample of `name` whose labels include `labels` (a counter over all its tables). */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name)
    .filter((sample) => matches(sample, labels))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Every sample of `name` whose labels include `labels`, with their labels. */
export function sampleList(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return samples(text, name).filter((sample) => matches(sample, labels));
}
