// What a generate run prints: a progress line every few seconds on stderr and, at the end, a
// table of the changes per table, the achieved rate and the errors on stdout.
import { formatDuration } from './duration.js';
import type { GenerateResult, Progress } from './generator.js';
import { rowChanges, TABLES, type GenerateStats } from './ops.js';

const SQLSTATE_NAMES: Record<string, string> = {
  '23505': 'unique_violation',
  '23503': 'foreign_key_violation',
  '23502': 'not_null_violation',
  '22003': 'numeric_value_out_of_range',
  '22008': 'datetime_field_overflow',
  '22P02': 'invalid_text_representation',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '57P01': 'admin_shutdown',
  '53300': 'too_many_connections',
};

export function errorLabel(code: string): string {
  const name = SQLSTATE_NAMES[code];
  return name ? `${code} ${name}` : code;
}

function totals(stats: GenerateStats) {
  let inserts = 0;
  let updates = 0;
  let deletes = 0;
  for (const table of TABLES) {
    inserts += stats.tables[table].inserts;
    updates += stats.tables[table].updates;
    deletes += stats.tables[table].deletes;
  }
  return { inserts, updates, deletes };
}

export function formatProgress(progress: Progress): string {
  const { inserts, updates, deletes } = totals(progress.stats);
  const seconds = Math.max(progress.elapsedMs / 1000, 0.001);
  return `generate ${formatDuration(progress.elapsedMs)}/${formatDuration(progress.durationMs)}: ${progress.events} changes (${inserts} inserts, ${updates} updates, ${deletes} deletes), ${(progress.events / seconds).toFixed(0)}/s, ${progress.stats.errors} errors\n`;
}

export function formatReport(result: GenerateResult): string {
  const { stats } = result;
  const rows = [['table', 'inserts', 'updates', 'deletes', 'missed']];
  for (const table of TABLES) {
    const t = stats.tables[table];
    if (!result.tables.includes(table) && t.inserts + t.updates + t.deletes + t.missed === 0) continue;
    rows.push([`inventory.${table}`, ...[t.inserts, t.updates, t.deletes, t.missed].map(String)]);
  }
  const all = totals(stats);
  rows.push(['total', String(all.inserts), String(all.updates), String(all.deletes), '']);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
  const out = [
    `generate: ${result.stoppedEarly ? 'stopped after' : 'ran'} ${formatDuration(result.elapsedMs)} of ${formatDuration(result.durationMs)} at a target of ${result.targetRate} changes/s${result.seed === null ? '' : `, seed ${result.seed}`}`,
    '',
    ...lines,
    '',
    `achieved: ${rowChanges(stats)} row changes in ${formatDuration(result.elapsedMs)} = ${result.achievedRate.toFixed(1)}/s (target ${result.targetRate}/s)`,
  ];
  if (stats.ordersDeletedWithCustomer > 0)
    out.push(
      `orders deleted with their customer: ${stats.ordersDeletedWithCustomer} (in the orders deletes)`,
    );
  if (result.tables.includes('hard_types'))
    out.push(
      `hard_types: ${stats.largeTextInserts} inserts with an out-of-line (TOASTed) big_text, ${stats.toastUnchangedUpdates} updates leaving it unchanged`,
    );
  const codes = Object.entries(stats.errorsByCode).sort(([, a], [, b]) => b.count - a.count);
  out.push(
    `errors: ${stats.errors}${codes.length > 0 ? ` (${codes.map(([code, e]) => `${errorLabel(code)}: ${e.count}`).join(', ')})` : ''}, all retried; changes given up: ${stats.givenUp}`,
  );
  for (const [code, entry] of codes.slice(0, 5)) out.push(`  ${errorLabel(code)}: ${entry.example}`);
  return `${out.join('\n')}\n`;
}

/** The machine-readable form (--json). */
export function reportJson(result: GenerateResult): string {
  return `${JSON.stringify(
    {
      ...result,
      elapsedMs: Math.round(result.elapsedMs),
      achievedRate: Number(result.achievedRate.toFixed(2)),
    },
    null,
    2,
  )}\n`;
}
