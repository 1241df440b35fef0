import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketDeltas,
  histogramBuckets,
  parseSamples,
  quantileFromBuckets,
  sumOf,
} from '../../../bench/lib/prom.js';

const scrape = (counts: Record<string, number>, sink = 'elasticsearch') =>
  Object.entries(counts)
    .map(
      ([le, value]) =>
        `cdc_fanout_end_to_end_latency_seconds_bucket{le="${le}",sink="${sink}",table="inventory.orders"} ${value}`,
    )
    .join('\n');

describe('bench prom helpers', () => {
  it('parses samples with labels, escapes and special values', () => {
    const samples = parseSamples(
      [
        '# HELP x y',
        'cdc_fanout_events_consumed_total{sink="mongodb",table="inventory.a",op="c"} 3',
        'cdc_fanout_events_consumed_total{sink="mongodb",table="in\\"v",op="u"} 4',
        'cdc_fanout_events_consumed_total{sink="elasticsearch",table="inventory.a",op="c"} 10',
        'process_cpu_seconds_total 1.5e2',
        'h_bucket{le="+Inf"} 7',
      ].join('\n'),
    );
    assert.equal(samples.length, 5);
    assert.equal(sumOf(samples, 'cdc_fanout_events_consumed_total', { sink: 'mongodb' }), 7);
    assert.equal(sumOf(samples, 'cdc_fanout_events_consumed_total'), 17);
    assert.equal(sumOf(samples, 'process_cpu_seconds_total'), 150);
    assert.equal(samples[4]!.labels.le, '+Inf');
  });

  it('sums buckets over tables and subtracts the earlier scrape', () => {
    const before = histogramBuckets(
      parseSamples(scrape({ '0.01': 1, '0.1': 5, '1': 10, '+Inf': 10 })),
      'cdc_fanout_end_to_end_latency_seconds',
      { sink: 'elasticsearch' },
    );
    const after = histogramBuckets(
      parseSamples(
        `${scrape({ '0.01': 1, '0.1': 25, '1': 110, '+Inf': 112 })}\n${scrape({ '0.01': 100, '0.1': 100, '1': 100, '+Inf': 100 }, 'mongodb')}`,
      ),
      'cdc_fanout_end_to_end_latency_seconds',
      { sink: 'elasticsearch' },
    );
    assert.deepEqual(bucketDeltas(before, after), [
      { le: 0.01, count: 0 },
      { le: 0.1, count: 20 },
      { le: 1, count: 80 },
      { le: Infinity, count: 2 },
    ]);
  });

  it('interpolates quantiles inside their bucket like histogram_quantile', () => {
    const buckets = [
      { le: 0.01, count: 0 },
      { le: 0.1, count: 20 },
      { le: 1, count: 80 },
      { le: Infinity, count: 0 },
    ];
    const p50 = quantileFromBuckets(buckets, 0.5)!;
    assert.equal(p50.lower, 0.1);
    assert.equal(p50.upper, 1);
    assert.ok(Math.abs(p50.value - (0.1 + 0.9 * (30 / 80))) < 1e-12);
    const p10 = quantileFromBuckets(buckets, 0.1)!;
    assert.ok(Math.abs(p10.value - (0.01 + 0.09 * 0.5)) < 1e-12);
  });

  it('answers the highest finite bound for a quantile in +Inf, and null without observations', () => {
    const buckets = [
      { le: 0.1, count: 1 },
      { le: 0.25, count: 0 },
      { le: Infinity, count: 99 },
    ];
    assert.deepEqual(quantileFromBuckets(buckets, 0.99), { value: 0.25, lower: 0.25, upper: Infinity });
    assert.equal(quantileFromBuckets([{ le: 1, count: 0 }], 0.5), null);
  });

  it('starts the lowest bucket at zero', () => {
    const q = quantileFromBuckets([{ le: 0.01, count: 10 }], 0.5)!;
    assert.equal(q.lower, 0);
    assert.ok(Math.abs(q.value - 0.005) < 1e-12);
  });
});
