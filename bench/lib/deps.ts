// Packages only the benchmark needs (chart rendering, other Kafka clients), installed on demand
// into a cache folder outside the repository with npm, so the project's node_modules and
// package.json stay as they are. Each set lives in its own folder and is installed once.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DEPS_ROOT = process.env.BENCH_DEPS_DIR ?? join(homedir(), '.cache', 'cdc-fanout-bench');

export interface InstallOutcome {
  readonly ok: boolean;
  readonly dir: string;
  /** The last lines npm printed when it failed. */
  readonly error: string | null;
  readonly seconds: number;
  readonly cached: boolean;
}

async function installedVersion(dir: string, name: string): Promise<string | null> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

/** "name@version" -> [name, version]; scoped names keep their leading @. */
export function splitSpec(spec: string): [string, string] {
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, ''];
}

/**
 * Installs `specs` (exact versions) into DEPS_ROOT/<set> unless they are there already. `env`
 * is added to npm's environment (build flags). Never throws: the outcome says what failed.
 */
export async function ensurePackages(
  set: string,
  specs: readonly string[],
  options: { env?: Record<string, string>; args?: readonly string[]; timeoutMs?: number } = {},
): Promise<InstallOutcome> {
  const dir = join(DEPS_ROOT, set);
  const present = await Promise.all(
    specs.map(async (spec) => {
      const [name, version] = splitSpec(spec);
      return (await installedVersion(dir, name)) === version;
    }),
  );
  if (present.every(Boolean)) return { ok: true, dir, error: null, seconds: 0, cached: true };
  await mkdir(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `bench-${set}`, private: true }));
  const started = performance.now();
  const args = ['install', '--no-audit', '--no-fund', '--no-package-lock', ...(options.args ?? []), ...specs];
  const child = spawn('npm', args, {
    cwd: dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 15 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  await writeFile(join(dir, 'last-install.log'), output);
  if (code === 0) return { ok: true, dir, error: null, seconds, cached: false };
  return { ok: false, dir, error: summariseNpmFailure(output), seconds, cached: false };
}

/** The lines of an npm failure that say why: download errors, gyp/make errors, npm's error code. */
export function summariseNpmFailure(output: string): string {
  // ANSI colour and charset escapes, which npm's build output is full of.
  const escapes = new RegExp(`${String.fromCharCode(27)}(?:\\[[0-9;]*m|\\(B)`, 'g');
  const lines = output.split('\n').map((line) =>
    line
      .replace(escapes, '')
      .replace(/\^\[\(B/g, '')
      .trim(),
  );
  const telling = lines.filter((line) =>
    /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|Download of|failed, reason|No rule to make target|Configure failed|Failed to install dependency|EBADENGINE|npm error code|npm error command|gyp ERR! stack Error/.test(
      line,
    ),
  );
  // The download that failed first: the cause; the build errors after it follow from it.
  telling.sort((a, b) => Number(/failed, reason/.test(b)) - Number(/failed, reason/.test(a)));
  const unique = [...new Set(telling)].slice(0, 12);
  return (unique.length > 0 ? unique : lines.filter(Boolean).slice(-8)).join('\n');
}

/** Imports a package installed in `dir` (CommonJS or ESM) through a shim module that lives there. */
export async function importFrom<T = Record<string, unknown>>(dir: string, specifier: string): Promise<T> {
  const shim = join(dir, `import-${specifier.replace(/[^a-zA-Z0-9]+/g, '_')}.mjs`);
  if (!existsSync(shim)) {
    await writeFile(shim, `import * as m from ${JSON.stringify(specifier)};\nexport default m;\n`);
  }
  const module = (await import(pathToFileURL(shim).href)) as { default: T };
  return module.default;
}
