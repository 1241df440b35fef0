// Renders the results chart without a browser: a Vega-Lite spec compiled by vega-lite, rendered to
// SVG by vega's headless View, and rasterised to PNG by resvg (a prebuilt binary from npm).
import { writeFile } from 'node:fs/promises';
import { ensurePackages, importFrom, type InstallOutcome } from './deps.js';

export const CHART_PACKAGES = ['vega@6.4.0', 'vega-lite@6.5.0', '@resvg/resvg-js@2.6.2'];

export interface ThroughputBar {
  readonly system: string;
  readonly sink: string;
  readonly perSecond: number;
}

export interface LatencyBar {
  readonly series: string;
  readonly quantile: string;
  readonly ms: number;
}

interface VegaModule {
  View: new (
    runtime: unknown,
    options: { renderer: string },
  ) => { toSVG(): Promise<string>; finalize(): void };
  parse(spec: unknown): unknown;
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}
interface ResvgModule {
  Resvg: new (svg: string, options: unknown) => { render(): { asPng(): Buffer } };
}

export function chartSpec(
  title: string,
  throughput: readonly ThroughputBar[],
  latency: readonly LatencyBar[],
) {
  const panels: unknown[] = [
    {
      title: 'Throughput (documents or events per second, higher is better)',
      width: 620,
      height: Math.max(160, throughput.length * 26),
      data: { values: throughput },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'system', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
        x: { field: 'perSecond', type: 'quantitative', title: 'per second' },
        color: { field: 'sink', type: 'nominal', title: 'sink' },
      },
    },
  ];
  if (latency.length > 0) {
    panels.push({
      title: 'cdc-fanout end-to-end latency in steady state (ms, from histogram buckets)',
      width: 620,
      height: Math.max(140, new Set(latency.map((bar) => bar.series)).size * 60),
      data: { values: latency },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'series', type: 'nominal', title: null, axis: { labelLimit: 320 } },
        yOffset: { field: 'quantile', sort: ['p50', 'p95', 'p99'] },
        x: { field: 'ms', type: 'quantitative', title: 'milliseconds' },
        color: {
          field: 'quantile',
          type: 'nominal',
          scale: { scheme: 'oranges' },
          sort: ['p50', 'p95', 'p99'],
        },
      },
      resolve: { scale: { color: 'independent' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    background: 'white',
    padding: 12,
    vconcat: panels,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'DejaVu Sans' },
  };
}

export interface ChartOutcome {
  readonly ok: boolean;
  readonly error: string | null;
  readonly install: InstallOutcome;
}

export async function renderChart(
  pngPath: string,
  title: string,
  throughput: readonly ThroughputBar[],
  latency: readonly LatencyBar[],
): Promise<ChartOutcome> {
  const install = await ensurePackages('chart', CHART_PACKAGES);
  if (!install.ok) return { ok: false, error: `npm install failed: ${install.error}`, install };
  try {
    const vega = await importFrom<VegaModule>(install.dir, 'vega');
    const vegaLite = await importFrom<VegaLiteModule>(install.dir, 'vega-lite');
    const { Resvg } = await importFrom<ResvgModule>(install.dir, '@resvg/resvg-js');
    const compiled = vegaLite.compile(chartSpec(title, throughput, latency)).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const png = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
    await writeFile(pngPath, png);
    await writeFile(pngPath.replace(/\.png$/, '.svg'), svg);
    return { ok: true, error: null, install };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), install };
  }
}
