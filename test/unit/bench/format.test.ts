import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatBytes,
  formatMs,
  formatNumber,
  formatRatio,
  markdownTable,
} from '../../../bench/lib/format.js';
import { groupOf, shortUrl, summariseProfile } from '../../../bench/lib/profile.js';

describe('bench formatting', () => {
  it('aligns a Markdown table, right-aligning numeric columns and escaping pipes', () => {
    const table = markdownTable(
      ['sink', 'events/s'],
      [
        ['elasticsearch', '12,345'],
        ['a|b', '7'],
      ],
    );
    assert.equal(
      table,
      [
        '| sink          | events/s |',
        '|---------------|---------:|',
        '| elasticsearch |   12,345 |',
        '| a\\|b          |        7 |',
      ].join('\n'),
    );
  });

  it('formats numbers, durations, sizes and ratios, with a dash for what is missing', () => {
    assert.equal(formatNumber(12345.6), '12,346');
    assert.equal(formatNumber(1.25, 1), '1.3');
    assert.equal(formatNumber(null), '–');
    assert.equal(formatMs(0.0123), '12.3 ms');
    assert.equal(formatMs(0.25), '250 ms');
    assert.equal(formatMs(0.004), '4.00 ms');
    assert.equal(formatBytes(150 * 1024 * 1024), '150.0 MiB');
    assert.equal(formatRatio(1, 4), '0.25x');
    assert.equal(formatRatio(1, 0), '–');
  });
});

describe('bench profile summary', () => {
  it('aggregates self time by function and script, leaving idle out of the shares', () => {
    const root = '/repo';
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const summary = summariseProfile(
      {
        nodes: [
          { id: 1, callFrame: frame('(root)', '') },
          { id: 2, callFrame: frame('(idle)', '') },
          { id: 3, callFrame: frame('decode', 'file:///repo/src/decoder/decode.ts') },
          { id: 4, callFrame: frame('decode', 'file:///repo/src/decoder/decode.ts') },
          { id: 5, callFrame: frame('parse', 'file:///repo/node_modules/kafkajs/src/x.js') },
        ],
        startTime: 0,
        endTime: 1000,
        samples: [2, 3, 4, 5, 2],
        timeDeltas: [0, 100, 200, 300, 400],
      },
      root,
    );
    // Sample i lasts the next delta: idle 100 + mean 200, decode 200 + 300, parse 400.
    assert.equal(summary.idleMs, 0.3);
    assert.equal(summary.busyMs, 0.9);
    assert.deepEqual(
      summary.functions.map((entry) => [entry.functionName, entry.url, entry.selfMs]),
      [
        ['decode', 'src/decoder/decode.ts', 0.5],
        ['parse', 'node_modules/kafkajs/src/x.js', 0.4],
      ],
    );
    assert.deepEqual(
      summary.groups.map((group) => group.group),
      ['src/decoder/decode.ts', 'kafkajs'],
    );
  });

  it('shortens script URLs and names their package', () => {
    assert.equal(
      shortUrl('file:///repo/node_modules/@elastic/transport/lib/a.js', '/repo'),
      'node_modules/@elastic/transport/lib/a.js',
    );
    assert.equal(groupOf('f', 'node_modules/@elastic/transport/lib/a.js'), '@elastic/transport');
    assert.equal(groupOf('(garbage collector)', ''), '(garbage collector)');
    assert.equal(groupOf('writev', 'node:internal/fs'), 'node (runtime JS)');
  });
});
