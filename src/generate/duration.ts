// Durations on the command line: "500ms", "30s", "2m", "1h", or a bare number of seconds ("1.5").

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as "30s", "2m", "500ms" or "45" (seconds); throws when it is not one. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match)
    throw new Error(`"${text}" is not a duration; expected e.g. 30s, 2m, 500ms or a number of seconds`);
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`"${text}" must be a positive duration`);
  return Math.round(ms);
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
