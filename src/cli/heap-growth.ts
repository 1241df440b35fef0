// V8's --heap-growing-percent, set from the configuration (HEAP_GROWING_PERCENT) once the process
// knows which sinks it runs. V8 reads the flag whenever a full collection sets the next limit, so
// setting it at start has the effect of the command-line flag (test/unit/cli/heap-growth.test.ts
// checks that on the Node in use), and the image needs no flag that depends on SINKS.
import { setFlagsFromString } from 'node:v8';

/** 0 leaves V8's own growth, or the percent the Node command line gave, as it is. */
export function applyHeapGrowingPercent(
  percent: number,
  setFlags: (flags: string) => void = setFlagsFromString,
): void {
  if (percent > 0) setFlags(`--heap-growing-percent=${percent}`);
}
