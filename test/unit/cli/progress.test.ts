import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createProgress } from '../../../src/cli/progress.js';

function capture() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  return { lines, stream };
}

describe('progress line', () => {
  test('the rate counts from the first row drawn, not from when the bar was made (reindex waits first)', () => {
    let now = 0;
    const { lines, stream } = capture();
    const progress = createProgress('t', stream, () => now);
    now = 10_000; // a discovery wait before the backfill
    progress(0, 2000);
    now = 11_000;
    progress(1000, 2000, true);
    assert.match(lines.at(-1)!, /1000\/2000 rows 1000 rows\/s ETA 1s/);
  });

  test('a final line is always drawn, in between at most every 2 s off a terminal', () => {
    let now = 100_000;
    const { lines, stream } = capture();
    const progress = createProgress('t', stream, () => now);
    progress(0, 10);
    now = 100_500;
    progress(5, 10);
    now = 100_600;
    progress(10, 10, true);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /100% 10\/10 rows/);
  });
});
