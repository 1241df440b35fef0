// grafana/dashboards/cdc-fanout.json is kept in the repository and cannot drift from the code: it
// has the panels an operator needs, every metric its queries name is one that createMetrics
// registers, and it reads the datasource that grafana/provisioning provides. When promtool is
// installed (stack/components/prometheus.sh), every query must also parse as PromQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseDocument } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: { type?: string; uid?: string };
}
interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: Target[];
  readonly panels?: Panel[];
}
interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly panels?: Panel[];
}

// Rows may nest their panels.
const allPanels = (panels: readonly Panel[]): Panel[] =>
  panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions or
 * aggregations (followed by `(`), keywords, label names (inside `{}` or a grouping clause), string
 * contents, or durations, numbers and Grafana variables.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ');
  const names = new Set<string>();
  const token = /(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[a-zA-Z]*)|([a-zA-Z_:][a-zA-Z0-9_:]*)/g;
  for (const match of stripped.matchAll(token)) {
    const identifier = match[2];
    if (!identifier || PROMQL_KEYWORDS.has(identifier.toLowerCase())) continue;
    const rest = stripped.slice((match.index ?? 0) + identifier.length);
    if (/^\s*\(/.test(rest)) continue;
    names.add(identifier);
  }
  return [...names].sort();
}

const dashboardText = read('grafana/dashboards/cdc-fanout.json');
const dashboard = JSON.parse(dashboardText) as Dashboard;
const panels = allPanels(dashboard.panels ?? []);
const queried = panels.filter((panel) => (panel.targets ?? []).length > 0);
const exprs = (panel: Panel): string[] =>
  (panel.targets ?? []).map((target) => (target.expr ?? '').replace(/\s+/g, ' ').trim());

/** Every name a PromQL selector can use for the registry's metrics, by the metric it belongs to. */
async function exposedNames(): Promise<Map<string, string>> {
  const registry = new Registry();
  createMetrics(registry);
  const names = new Map<string, string>();
  // getMetricsAsJSON's `type` is the string 'histogram' at run time, not the typings' enum.
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    const suffixes =
      type === 'histogram'
        ? ['_bucket', '_count', '_sum']
        : type === 'summary'
          ? ['', '_count', '_sum']
          : [''];
    for (const suffix of suffixes) names.set(`${metric.name}${suffix}`, metric.name);
  }
  return names;
}

test('the metric name parser finds selectors and nothing else', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (sink, le) (rate(a_seconds_bucket{sink=~"m.*", x="y{z}"}[$__rate_interval])))',
    ),
    ['a_seconds_bucket'],
  );
  assert.deepEqual(
    metricNames('sum(rate(b_total[5m] offset 1h)) by (sink) / on (sink) group_left c_up > bool 1e-3'),
    ['b_total', 'c_up'],
  );
  assert.deepEqual(metricNames('max without (instance) (d) or vector(0) unless e'), ['d', 'e']);
  assert.deepEqual(metricNames('label_replace(f, "dst", "$1", "src", "(.*)")'), ['f']);
});

test('the dashboard is valid JSON with a stable uid and unique panel ids', () => {
  assert.equal(dashboard.uid, 'cdc-fanout');
  assert.equal(typeof dashboard.title, 'string');
  assert.ok(queried.length > 0);
  const ids = panels.map((panel) => panel.id);
  assert.ok(
    ids.every((id) => typeof id === 'number'),
    'every panel has a numeric id',
  );
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const panel of queried) {
    assert.ok(panel.title, `panel ${panel.id} has no title`);
    for (const [index, expr] of exprs(panel).entries())
      assert.ok(expr.length > 0, `panel "${panel.title}" target ${index} has no expr`);
  }
});

test('the dashboard has the panels an operator needs', () => {
  const required: [string, (panel: string[]) => boolean][] = [
    [
      'throughput per sink: rate of cdc_fanout_sink_writes_total by sink and result',
      (e) => e.some((x) => /rate\(cdc_fanout_sink_writes_total\b/.test(x) && /by \(sink, result\)/.test(x)),
    ],
    [
      'end-to-end latency p50, p95 and p99 per sink',
      (e) =>
        ['0.5', '0.95', '0.99'].every((q) =>
          e.some(
            (x) =>
              x.startsWith(`histogram_quantile(${q},`) &&
              /cdc_fanout_end_to_end_latency_seconds_bucket\b/.test(x) &&
              /by \(sink, le\)/.test(x),
          ),
        ),
    ],
    [
      'consumer lag per sink, topic and partition',
      (e) => e.some((x) => /cdc_fanout_consumer_lag\b/.test(x) && /by \(sink, topic, partition\)/.test(x)),
    ],
    ['retries rate', (e) => e.some((x) => /rate\(cdc_fanout_retries_total\b/.test(x))],
    ['dead letters', (e) => e.some((x) => /cdc_fanout_dead_letters_total\b/.test(x))],
    ['sink up', (e) => e.some((x) => /cdc_fanout_sink_up\b/.test(x) && /by \(sink\)/.test(x))],
    ['pipeline ready', (e) => e.some((x) => /cdc_fanout_pipeline_ready\b/.test(x) && /by \(sink\)/.test(x))],
    [
      'sink write duration p99',
      (e) =>
        e.some(
          (x) =>
            x.startsWith('histogram_quantile(0.99,') &&
            /cdc_fanout_sink_write_duration_seconds_bucket\b/.test(x) &&
            /by \(sink, le\)/.test(x),
        ),
    ],
    ['process RSS', (e) => e.some((x) => /cdc_fanout_process_resident_memory_bytes\b/.test(x))],
  ];
  for (const [what, matches] of required) {
    assert.ok(
      queried.some((panel) => matches(exprs(panel))),
      `no panel shows ${what}`,
    );
  }
});

test('every metric a panel queries exists in the registry createMetrics builds', async () => {
  const known = await exposedNames();
  const unknown: string[] = [];
  let checked = 0;
  for (const panel of queried) {
    for (const expr of exprs(panel)) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `panel "${panel.title}": no metric found in ${expr}`);
      for (const name of names) {
        checked += 1;
        if (!known.has(name)) unknown.push(`panel "${panel.title}": ${name} (in ${expr})`);
      }
    }
  }
  assert.deepEqual(unknown, [], `metrics the service does not expose:\n${unknown.join('\n')}`);
  assert.ok(checked >= 10);
});

test('every panel reads the provisioned Prometheus datasource', () => {
  const { datasources } = parseDocument(read('grafana/provisioning/datasources/prometheus.yml')).toJS() as {
    datasources: { uid: string; type: string }[];
  };
  const provisioned = datasources.map((d) => `${d.type}/${d.uid}`);
  for (const panel of queried) {
    for (const source of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) {
      if (source === undefined) continue;
      assert.ok(
        provisioned.includes(`${source.type}/${source.uid}`),
        `panel "${panel.title}" reads ${JSON.stringify(source)}, which grafana/provisioning does not provide`,
      );
    }
  }
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

test(
  'every panel query parses as PromQL (promtool check rules)',
  { skip: promtool ? false : 'promtool is not installed (stack/components/prometheus.sh installs it)' },
  () => {
    // Grafana's interval variables, replaced by durations as Grafana would.
    const concrete = (expr: string) =>
      expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m').replace(/\$\{__\w+\}/g, '1m');
    const rules = queried.flatMap((panel, p) =>
      exprs(panel).map((expr, t) => ({ record: `dashboard:panel_${p}:target_${t}`, expr: concrete(expr) })),
    );
    const dir = mkdtempSync(join(tmpdir(), 'cdc-fanout-dashboard-'));
    try {
      const file = join(dir, 'rules.json');
      // JSON is YAML; promtool reads either.
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(result.status, 0, `promtool check rules:\n${result.stdout}${result.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
