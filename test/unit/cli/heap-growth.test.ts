// HEAP_GROWING_PERCENT is applied with v8.setFlagsFromString once the process runs, not on the
// Node command line: this checks, on the Node in use, that V8 still honours the flag set that late.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { applyHeapGrowingPercent } from '../../../src/cli/heap-growth.js';

const run = promisify(execFile);

test('a percent above 0 is passed to V8 as --heap-growing-percent; 0 passes nothing', () => {
  const flags: string[] = [];
  applyHeapGrowingPercent(100, (flag) => flags.push(flag));
  applyHeapGrowingPercent(0, (flag) => flags.push(flag));
  applyHeapGrowingPercent(250, (flag) => flags.push(flag));
  assert.deepEqual(flags, ['--heap-growing-percent=100', '--heap-growing-percent=250']);
});

// A live set of about 40 MiB whose members are replaced all the time, so that the old generation
// fills with garbage: how far the heap grows before a full collection is what the flag decides.
const WORKLOAD = `
  const { applyHeapGrowingPercent } = await import(${JSON.stringify(new URL('../../../src/cli/heap-growth.ts', import.meta.url).href)});
  applyHeapGrowingPercent(Number(process.env.PERCENT));
  const live = new Array(200000);
  let peak = 0;
  for (let i = 0; i < 4000000; i++) {
    live[i % live.length] = { text: 'x' + i, list: [i, i + 1, i + 2], nested: { i } };
    if (i % 20000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
  }
  console.log(peak);
`;

async function peakHeap(percent: number): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', WORKLOAD],
    { env: { ...process.env, PERCENT: String(percent) } },
  );
  return Number(stdout.trim());
}

test('set at run time, the flag caps how far the old generation grows between full collections', async () => {
  const [own, capped] = await Promise.all([peakHeap(0), peakHeap(100)]);
  assert.ok(own > 0 && capped > 0, `peaks measured: ${own}, ${capped}`);
  // V8's own growth here reached 190-230 MiB in trials, the 2x cap about 130.
  assert.ok(capped < own * 0.8, `capped peak ${capped} bytes is not well below V8's own ${own}`);
});
