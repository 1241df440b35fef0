import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatchUpResult } from '../../../bench/lib/fanout.js';
import { roundRatio, summariseRatios, type PairedRound } from '../../../bench/lib/pairs.js';
import { computeRatios, emptyResults, renderMarkdown, type Results } from '../../../bench/lib/report.js';
import { catchUpOf, rawOf } from './support/results.js';

/** A round whose raw pass wrote `raw` docs/s and whose MongoDB catch-up ran at `events` events/s. */
function round(index: number, raw: number, events: number, change?: (c: CatchUpResult) => CatchUpResult) {
  const alone = catchUpOf(`bench-pair-mongodb-${index}`, 1, { mongodb: events });
  return { round: index, raw: rawOf('mongodb', raw), alone: change ? change(alone) : alone };
}

const notDrained = (c: CatchUpResult): CatchUpResult => ({
  ...c,
  sinks: c.sinks.map((sink) => ({ ...sink, drained: false })),
  verify: null,
});

function resultsWith(rounds: PairedRound[]): Results {
  const machine = { nproc: 2, memoryBytes: 2 ** 30, cpuModel: 'cpu', kernel: 'k', loadAverage: [1, 1, 1] };
  return {
    ...emptyResults('full', machine, '2026-12-06T00:00:00Z'),
    pairs: [{ sink: 'mongodb', rounds }],
  };
}

describe('bench pairs: a catch-up against the raw pass right before it', () => {
  it('divides the round’s events/s by its own raw docs/s', () => {
    assert.equal(roundRatio(round(1, 20_000, 15_000)), 0.75);
  });

  it('gives no ratio for a catch-up that did not drain, disagreed with Postgres, or failed', () => {
    assert.equal(roundRatio(round(1, 20_000, 30_000, notDrained)), null);
    const drift = round(2, 20_000, 30_000, (c) => ({ ...c, verify: { ok: false, seconds: 1, lines: [] } }));
    assert.equal(roundRatio(drift), null);
    assert.equal(roundRatio({ round: 3, raw: rawOf('mongodb', 20_000), alone: null, error: 'boom' }), null);
  });

  it('takes the median, not the best or the first round', () => {
    const summary = summariseRatios({
      sink: 'mongodb',
      rounds: [round(1, 20_000, 18_000), round(2, 20_000, 12_000), round(3, 20_000, 14_000)],
    });
    assert.deepEqual(summary, { median: 0.7, min: 0.6, max: 0.9, counted: 3, rounds: 3 });
  });

  it('averages the middle two of an even count, leaving out rounds without a ratio', () => {
    const summary = summariseRatios({
      sink: 'mongodb',
      rounds: [
        round(1, 20_000, 12_000),
        round(2, 20_000, 40_000, notDrained),
        round(3, 20_000, 16_000),
        round(4, 10_000, 7_000),
        round(5, 10_000, 9_000),
      ],
    });
    assert.equal(summary?.counted, 4);
    assert.equal(summary?.rounds, 5);
    assert.ok(Math.abs(summary!.median - 0.75) < 1e-9, `median ${summary?.median}`);
  });

  it('has no summary when no round counted', () => {
    assert.equal(summariseRatios({ sink: 'mongodb', rounds: [round(1, 20_000, 1, notDrained)] }), null);
  });

  it('reports the median among the ratios, each round in section 2d', () => {
    const results = resultsWith([
      round(1, 20_000, 18_000),
      round(2, 20_000, 12_000),
      round(3, 20_000, 14_000),
    ]);
    const ratio = computeRatios(results).find((entry) => entry.name.includes('paired rounds'));
    assert.equal(ratio?.name, 'cdc-fanout alone / raw limit (mongodb), median of 3 paired rounds');
    assert.equal(ratio?.value, 0.7);
    assert.match(ratio?.detail ?? '', /^0\.90x, 0\.60x, 0\.70x \(range 0\.60x-0\.90x\)/);
    const markdown = renderMarkdown(results);
    const section = markdown.slice(markdown.indexOf('## 2d.'));
    assert.ok(section.startsWith('## 2d.'), 'section 2d is rendered');
    const rows = section.split('\n').filter((line) => /^\| +[0-9] \|/.test(line));
    assert.equal(rows.length, 3);
    assert.match(rows[1]!, /^\| +2 \| mongodb +\| +20,000 \| +12,000 \| +\*\*0\.60x\*\* \|/);
    assert.match(section, /mongodb: median \*\*0\.70x\*\* of 3 rounds/);
  });

  it('names the rounds the median is of, not the rounds run', () => {
    const results = resultsWith([
      round(1, 20_000, 18_000),
      { round: 2, raw: rawOf('mongodb', 20_000), alone: null, error: 'the service exited' },
      round(3, 20_000, 14_000),
    ]);
    const ratio = computeRatios(results).find((entry) => entry.name.includes('paired rounds'));
    assert.equal(ratio?.name, 'cdc-fanout alone / raw limit (mongodb), median of 2 paired rounds');
    assert.ok(Math.abs(ratio!.value! - 0.8) < 1e-9);
    assert.match(ratio?.detail ?? '', /^0\.90x, –, 0\.70x /);
    assert.match(renderMarkdown(results), /\| +2 \| mongodb +\| +20,000 \| failed: the service exited \|/);
  });

  it('leaves the section and the ratio out when the phase did not run', () => {
    const results = { ...resultsWith([]), pairs: null };
    assert.ok(!renderMarkdown(results).includes('## 2d.'));
    assert.ok(!computeRatios(results).some((entry) => entry.name.includes('paired rounds')));
  });
});
