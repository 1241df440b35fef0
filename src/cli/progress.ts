// A progress line for long tools: a bar with rows, rate and ETA, redrawn in place on a terminal
// and printed every few seconds otherwise (CI logs, pipes). The rate counts from the first line
// drawn: a reindex makes its bar, then waits for the running instances before it copies a row.
export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
) {
  let started: number | undefined;
  let lastPrinted = 0;
  return (done: number, total: number, final = false) => {
    const now = clock();
    started ??= now;
    if (!final && (stream.isTTY ? now - lastPrinted < 100 : now - lastPrinted < 2000)) return;
    lastPrinted = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = done / seconds;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 && total > done ? `${Math.ceil((total - done) / rate)}s` : '0s';
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ${done}/${total} rows ${rate.toFixed(0)} rows/s ETA ${eta}`;
    stream.write(stream.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
}
