// Pure formatting for the results: Markdown tables with aligned columns, and numbers written the
// way a reader compares them.

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const cells = [headers, ...rows].map((row) => headers.map((_, index) => escape(row[index] ?? '')));
  const widths = headers.map((_, index) => Math.max(3, ...cells.map((row) => row[index]!.length)));
  const numeric = headers.map(
    (_, index) =>
      rows.length > 0 &&
      rows.every((row) =>
        /^[-+~]?[\d.,]+(?:\s?[%x×a-zA-Z/]+)?$|^$|^–$/.test(
          (row[index] ?? '').replace(/^\*\*(.*)\*\*$/, '$1'),
        ),
      ),
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, index) => (numeric[index] ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, index) => (numeric[index] ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

/** 12345.6 -> "12,346"; small values keep up to `digits` significant decimals. */
export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Seconds as milliseconds with a sensible precision: 0.0123 -> "12.3 ms". */
export function formatMs(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const ms = seconds * 1000;
  return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** a / b as "0.42x"; "–" when either side is missing or b is zero. */
export function formatRatio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !b) return '–';
  return `${(a / b).toFixed(2)}x`;
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

export function formatLoad(load: readonly number[]): string {
  return load.map((value) => value.toFixed(2)).join(' / ');
}
