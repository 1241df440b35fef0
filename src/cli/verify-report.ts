// The human-readable verify report: one summary line per table and sink, then the details of
// whatever disagrees (ids missing or extra, and the first differing documents field by field).
import type { TableReport } from '../verify/verify.js';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => (index >= 3 ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
    .join('  ');
}

export function formatReports(reports: readonly TableReport[]): string {
  const header = ['table', 'sink', 'target', 'rows', 'docs', 'missing', 'extra', 'different', 'status'];
  const rows = reports.map((r) => [
    r.table,
    r.sink,
    r.target,
    String(r.sourceRows),
    String(r.sinkDocuments),
    String(r.missing.count),
    String(r.extra.count),
    String(r.different.count),
    r.ok ? 'ok' : 'DRIFT',
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => row[index]!.length)),
  );
  const lines = [pad(header, widths).trimEnd(), ...rows.map((row) => pad(row, widths).trimEnd())];
  for (const r of reports.filter((report) => !report.ok)) {
    lines.push('', `${r.table} in ${r.sink} (${r.target}):`);
    if (r.missing.count > 0) lines.push(`  missing ${r.missing.count}, e.g. ${r.missing.ids.join(', ')}`);
    if (r.extra.count > 0) lines.push(`  extra ${r.extra.count}, e.g. ${r.extra.ids.join(', ')}`);
    for (const example of r.different.examples) {
      lines.push(`  document ${example.id} differs:`);
      for (const field of example.fields) {
        lines.push(`    ${field.field}: postgres ${field.expected} / ${r.sink} ${field.actual}`);
      }
    }
  }
  const drift = reports.filter((report) => !report.ok).length;
  lines.push(
    '',
    reports.length === 0
      ? 'no tables to verify'
      : drift === 0
        ? `all ${reports.length} table/sink pairs agree`
        : `${drift} of ${reports.length} table/sink pairs drifted`,
  );
  return `${lines.join('\n')}\n`;
}
