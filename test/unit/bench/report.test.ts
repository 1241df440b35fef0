import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatchUpResult } from '../../../bench/lib/fanout.js';
import {
  computeRatios,
  cpuMicrosPerEvent,
  emptyResults,
  renderMarkdown,
  type Results,
} from '../../../bench/lib/report.js';

function catchUpOf(runId: string, cpuSeconds: number, perSecond: Record<string, number>): CatchUpResult {
  return {
    runId,
    backlog: 1000,
    wallSeconds: 10,
    startupSeconds: 1,
    cpuSeconds,
    cores: 0.5,
    peakRssBytes: 100 * 2 ** 20,
    sinks: Object.entries(perSecond).map(([sink, eventsPerSecond]) => ({
      sink: sink as 'elasticsearch' | 'mongodb',
      events: 1000,
      writes: 900,
      seconds: 1000 / eventsPerSecond,
      eventsPerSecond,
      writesPerSecond: 0.9 * eventsPerSecond,
      secondsFromSpawn: 1000 / eventsPerSecond + 1,
      eventsPerSecondFromSpawn: eventsPerSecond,
      drained: true,
      stalled: false,
    })),
    deadLetters: 0,
    verify: { ok: true, seconds: 1, lines: [] },
    load: { start: [1, 1, 1], end: [2, 2, 2] },
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
