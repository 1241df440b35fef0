// Runs the real service (`src/cli/main.ts start`) as a child process, as a user would, and reads
// its JSON log lines, so tests can kill it, restart it and scrape its HTTP surface.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface ReadinessCheck {
  readonly name: string;
  readonly ready: boolean;
  readonly reason: string | null;
}

export interface Readiness {
  readonly status: number;
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

export class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly rawOutput: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  port = 0;

  constructor(readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    this.lines.length = 0;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'debug', HTTP_PORT: '0', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.rawOutput.push(line);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (a Node warning): kept in rawOutput for the secrets check.
        }
      });
    }
    const started = await this.waitForLog((line) => line.msg === 'cdc-fanout starting', 30_000);
    this.port = Number(String(started.http).split(':').pop());
  }

  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching log line within ${timeoutMs} ms; last lines:\n${this.rawOutput.slice(-15).join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.get('/readyz').catch(() => null))?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`service not ready within ${timeoutMs} ms: ${(await this.get('/readyz')).body}`);
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** /readyz, parsed. */
  async readiness(): Promise<Readiness> {
    const { status, body } = await this.get('/readyz');
    const parsed = JSON.parse(body) as { ready: boolean; checks: ReadinessCheck[] };
    return { status, ready: parsed.ready, checks: parsed.checks };
  }

  /**
   * Writes everything the process printed (over all its starts) to
   * $TMPDIR/cdc-fanout-it/<name>.log, for reading after a failed run; answers the path.
   */
  async saveOutput(name: string): Promise<string> {
    const dir = join(tmpdir(), 'cdc-fanout-it');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name}.log`);
    await writeFile(file, `${this.rawOutput.join('\n')}\n`);
    return file;
  }

  /** True while the child process runs. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal and resolves with the exit code. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`service did not exit within ${timeoutMs} ms of ${signal}`)),
        timeoutMs,
      ).unref(),
    );
    return Promise.race([this.exited, timeout]);
  }
}
