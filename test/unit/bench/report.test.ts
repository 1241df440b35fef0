import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatchUpResult } from '../../../bench/lib/fanout.js';
import type { PeerOutcome } from '../../../bench/lib/peers.js';
import {
  computeRatios,
  cpuMicrosPerEvent,
  emptyResults,
  renderMarkdown,
  type Results,
} from '../../../bench/lib/report.js';
import { catchUpOf, rawOf as raw } from './support/results.js';

/** A peer that ran 1,000 events at 500 per second and agreed with Postgres. */
function ranPeer(peer: string, sink: string): PeerOutcome {
  return {
    peer,
    sink,
    available: true,
    status: 'ran',
    installSeconds: 0,
    result: {
      peer,
      sink,
      events: 1000,
      seconds: 2,
      eventsPerSecond: 500,
      correct: true,
      correctness: 'agrees',
    },
  };
}

function resultsWith(avro: Results['avro']): Results {
  const machine = { nproc: 2, memoryBytes: 2 ** 30, cpuModel: 'cpu', kernel: 'k', loadAverage: [1, 1, 1] };
  return {
    ...emptyResults('full', machine, '2026-12-04T00:00:00Z'),
    finishedAt: '2026-12-04T00:10:00Z',
    avro,
  };
}

const comparison: Results['avro'] = {
  database: 'inventory',
  registryUrl: 'http://registry/apis/ccompat/v7',
  runs: [
    {
      format: 'json',
      connector: 'cdc-inventory',
      topics: ['cdc.inventory.orders'],
      result: catchUpOf('bench-json-1', 0.2, { elasticsearch: 4000, mongodb: 1000 }),
    },
    {
      format: 'avro',
      connector: 'cdc-inventory-avro',
      topics: ['cdc_avro.inventory.orders'],
      result: catchUpOf('bench-avro-1', 0.3, { elasticsearch: 2000, mongodb: 1000 }),
    },
  ],
};

describe('bench report: Avro against JSON', () => {
  it('counts CPU per event over both sinks’ events', () => {
    // 0.2 s over 2 × 1000 events.
    assert.equal(cpuMicrosPerEvent(comparison.runs[0]!.result), 100);
  });

  it('divides Avro by JSON per sink and for CPU per event', () => {
    const ratios = computeRatios(resultsWith(comparison));
    const byName = new Map(ratios.map((ratio) => [ratio.name, ratio.value]));
    assert.equal(byName.get('Avro / JSON catch-up (elasticsearch)'), 0.5);
    assert.equal(byName.get('Avro / JSON catch-up (mongodb)'), 1);
    assert.ok(Math.abs(byName.get('Avro / JSON CPU per event')! - 1.5) < 1e-9);
  });

  it('renders one row per format with its events/s, CPU µs per event and verify', () => {
    const markdown = renderMarkdown(resultsWith(comparison));
    const section = markdown.slice(markdown.indexOf('## 2c. Avro against JSON'));
    assert.ok(section.startsWith('## 2c.'), 'section 2c is rendered');
    const row = (format: string) => section.split('\n').find((line) => line.startsWith(`| ${format} `)) ?? '';
    assert.match(row('JSON'), /\*\*4,000\*\*.*\*\*1,000\*\*.*\*\*100\.0\*\*.*\| ok/);
    assert.match(row('AVRO'), /\*\*2,000\*\*.*\*\*1,000\*\*.*\*\*150\.0\*\*.*\| ok/);
  });

  it('leaves the section out when the phase did not run', () => {
    assert.ok(!renderMarkdown(resultsWith(null)).includes('## 2c.'));
    assert.ok(!computeRatios(resultsWith(null)).some((ratio) => ratio.name.startsWith('Avro')));
  });
});

describe('bench report: resync and reindex of the largest table', () => {
  const step = (
    sink: 'elasticsearch' | 'mongodb',
    command: 'resync' | 'reindex',
    into: 'empty' | 'written',
    seconds: number,
    exitCode = 0,
  ) => ({
    sink,
    command,
    into,
    rows: 60_000,
    seconds,
    rowsPerSecond: exitCode === 0 ? 60_000 / seconds : 0,
    exitCode,
    output: exitCode === 0 ? ['done'] : ['reindex --sink mongodb is not supported yet'],
    load: { start: [1.5, 1, 1], end: [2.5, 2, 2] },
  });
  const rebuild: Results['rebuild'] = {
    table: 'inventory.orders',
    rows: 60_000,
    discoveryMs: 5000,
    steps: [
      step('elasticsearch', 'resync', 'empty', 12),
      step('elasticsearch', 'resync', 'written', 10),
      step('elasticsearch', 'reindex', 'written', 25),
      step('mongodb', 'resync', 'empty', 30),
      step('mongodb', 'resync', 'written', 40),
      step('mongodb', 'reindex', 'written', 1, 2),
    ],
    notes: ['Measured in a separate run.'],
  };
  const withRebuild = (value: Results['rebuild']) => ({ ...resultsWith(null), rebuild: value });

  it('divides reindex by resync over written documents, for a sink where both succeeded', () => {
    const ratios = computeRatios(withRebuild(rebuild));
    const byName = new Map(ratios.map((ratio) => [ratio.name, ratio.value]));
    assert.equal(byName.get('reindex / resync time (elasticsearch)'), 2.5);
    assert.ok(!byName.has('reindex / resync time (mongodb)'), 'a failed reindex gives no ratio');
  });

  it('renders one row per command with rows/s and its load, and why a command failed', () => {
    const markdown = renderMarkdown(withRebuild(rebuild));
    const section = markdown.slice(markdown.indexOf('## 7. Rebuilding a table'));
    assert.ok(section.startsWith('## 7.'), 'section 7 is rendered');
    assert.match(section, /`inventory\.orders` \(60,000 rows\)/);
    const cells = section
      .split('\n')
      .filter((line) => /^\| (elasticsearch|mongodb) /.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    assert.equal(cells.length, 6);
    assert.deepEqual(cells[1], [
      'elasticsearch',
      'resync over the written documents',
      '60,000',
      '10.0',
      '**6,000**',
      '',
      '0',
      '1.50 / 1.00 / 1.00 → 2.50 / 2.00 / 2.00',
    ]);
    // 25 s less twice the 5 s discovery interval.
    assert.deepEqual(cells[2]!.slice(3, 7), ['25.0', '**2,400**', '4,000', '0']);
    assert.deepEqual(cells[5]!.slice(4, 7), ['–', '', '2: reindex --sink mongodb is not supported yet']);
    // A MongoDB reindex also waits twice before the rename (writes paused) and twice after it.
    const mongo = renderMarkdown(
      withRebuild({ ...rebuild!, steps: [step('mongodb', 'reindex', 'written', 40)] }),
    );
    const row = mongo.split('\n').find((line) => line.startsWith('| mongodb '))!;
    assert.deepEqual(
      row
        .split('|')
        .slice(4, 7)
        .map((cell) => cell.trim()),
      ['40.0', '**1,500**', '6,000'],
    );
    assert.ok(section.includes('\nMeasured in a separate run.\n'), 'the notes follow the table');
  });

  it('leaves the section out when the phase did not run', () => {
    assert.ok(!renderMarkdown(resultsWith(null)).includes('## 7.'));
  });
});

describe('bench report: each sink alone', () => {
  const peer = ranPeer('redpanda-connect-mongodb', 'mongodb');
  const results = (alone: CatchUpResult[] | null): Results => ({
    ...resultsWith(null),
    raw: { results: [raw('mongodb', 2000)], load: [1, 1, 1], error: null },
    catchUp: catchUpOf('bench-fanout-1', 1, { elasticsearch: 4000, mongodb: 1000 }),
    catchUpAlone: alone,
    peers: { note: '', outcomes: [peer], load: [1, 1, 1] },
  });

  it('divides the sink alone by the raw limit and by the peer, beside the both-sinks figures', () => {
    const alone = [catchUpOf('bench-alone-mongodb-1', 1, { mongodb: 1500 })];
    const byName = new Map(computeRatios(results(alone)).map((ratio) => [ratio.name, ratio.value]));
    assert.equal(byName.get('cdc-fanout / raw limit (mongodb)'), 0.5);
    assert.equal(byName.get('cdc-fanout alone / raw limit (mongodb)'), 0.75);
    assert.equal(byName.get('cdc-fanout alone documents written / raw limit (mongodb)'), 0.675);
    assert.equal(byName.get('cdc-fanout / redpanda-connect-mongodb (mongodb)'), 2);
    assert.equal(byName.get('cdc-fanout alone / redpanda-connect-mongodb (mongodb)'), 3);
    const section = renderMarkdown(results(alone));
    assert.match(
      section.slice(section.indexOf('## 2a. Each sink alone')),
      /^## 2a\.[^]*\| mongodb .*\*\*1,500\*\*/,
    );
  });

  it('has no alone figures when the phase did not run', () => {
    const ratios = computeRatios(results(null));
    assert.ok(!ratios.some((ratio) => ratio.name.includes('alone')));
    assert.ok(!renderMarkdown(results(null)).includes('## 2a.'));
  });
});

describe('bench report: CPU per event beside the peers', () => {
  const split = (name: string, cpuSeconds: number) => ({
    seconds: 10,
    cpus: 2,
    machineBusySeconds: 15,
    processes: [{ name, cpuSeconds }],
  });
  const withPeer = (measured: boolean): Results => ({
    ...resultsWith(null),
    catchUpAlone: [
      { ...catchUpOf('bench-alone-1', 6, { elasticsearch: 1000 }), cpuSplit: split('cdc-fanout', 6) },
      { ...catchUpOf('bench-alone-2', 5, { mongodb: 1000 }), cpuSplit: split('cdc-fanout', 5) },
    ],
    peers: {
      note: '1 peer(s) found',
      load: [1, 1, 1],
      outcomes: [
        {
          ...ranPeer('mongo-kafka-connect', 'mongodb'),
          ...(measured ? { cpuSplit: split('connect', 8) } : {}),
        },
      ],
    },
  });

  it("sets a measured peer's CPU per event beside cdc-fanout's one-sink catch-up", () => {
    const text = renderMarkdown(withPeer(true));
    assert.match(text, /CPU µs per event over each run/);
    assert.match(text, /\| cdc-fanout, mongodb alone \(2a\) +\| mongodb +\| +1,000 \| +5,000\.0 \| +– \|/);
    assert.match(text, /\| mongo-kafka-connect +\| mongodb +\| +1,000 \| +– \| +8,000\.0 \|/);
  });

  it('prints no such table for peers measured before it existed', () => {
    assert.doesNotMatch(renderMarkdown(withPeer(false)), /CPU µs per event over each run/);
  });
});
