// The Dockerfile cannot be built where the tests run (no Docker engine), so it is linted with
// dockerfile-utils (the validator behind the VS Code Docker extension) and checked for what the
// compose file and operators rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const dockerfile = read('Dockerfile');

// DiagnosticSeverity.Error of the language server protocol, which dockerfile-utils reports in.
const ERROR = 1;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

// Instructions as the builder reads them: continuation lines joined, comment lines dropped.
const parse = (text: string): Instruction[] => {
  const result: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    pending += line.trimEnd();
    if (pending.endsWith('\\')) {
      pending = `${pending.slice(0, -1)} `;
      continue;
    }
    const [, keyword = '', args = ''] = /^\s*(\S+)\s*(.*)$/.exec(pending) ?? [];
    result.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') });
    pending = '';
  }
  return result;
};

const instructions = parse(dockerfile);
const stageStarts = instructions.flatMap((i, index) => (i.keyword === 'FROM' ? [index] : []));
const finalStage = instructions.slice(stageStarts.at(-1));
const inFinal = (keyword: string): Instruction[] => finalStage.filter((i) => i.keyword === keyword);

test('dockerfile-utils is live: it reports errors in a broken Dockerfile', () => {
  assert.ok(validate('FROM\nEXPOSE port\n').some((d) => d.severity === ERROR));
});

test('dockerfile-utils finds no error in the Dockerfile', () => {
  const errors = validate(dockerfile).filter((d) => d.severity === ERROR);
  assert.deepEqual(
    errors.map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
    [],
  );
});

test('it builds in one stage and ships production dependencies and dist/ in another', () => {
  assert.ok(stageStarts.length >= 2, 'expected a build stage and a runtime stage');
  const from = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
  assert.equal(from[0], 'node:20-bookworm-slim AS build');
  assert.match(from.at(-1) ?? '', /^node:20-bookworm-slim\b/);
  const buildStage = instructions.slice(0, stageStarts[1]);
  const runs = (stage: Instruction[]) => stage.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  assert.ok(runs(buildStage).some((r) => /\bnpm ci\b/.test(r)));
  assert.ok(runs(buildStage).some((r) => /\bnpm run build\b/.test(r)));
  assert.ok(runs(finalStage).some((r) => /\bnpm ci --omit=dev\b/.test(r)));
  assert.ok(inFinal('COPY').some((c) => /^--from=build \/app\/dist\b/.test(c.args)));
});

test('it runs as a non-root user', () => {
  const users = inFinal('USER').map((i) => i.args);
  assert.ok(users.length > 0, 'the runtime stage sets no USER');
  assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
});

test('its HEALTHCHECK probes /healthz on the port it exposes and binds beyond loopback', () => {
  const [healthcheck, ...more] = inFinal('HEALTHCHECK');
  assert.ok(healthcheck, 'the runtime stage has no HEALTHCHECK');
  assert.equal(more.length, 0);
  assert.match(healthcheck.args, /\/healthz/);
  assert.deepEqual(
    inFinal('EXPOSE').map((i) => i.args),
    ['9464'],
  );
  const env = inFinal('ENV')
    .map((i) => i.args)
    .join(' ');
  assert.match(env, /\bHTTP_PORT=9464\b/);
  assert.match(env, /\bHTTP_HOST=0\.0\.0\.0\b/);
});

test("it stops with SIGTERM and starts the package's bin", () => {
  assert.deepEqual(
    inFinal('STOPSIGNAL').map((i) => i.args),
    ['SIGTERM'],
  );
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['cdc-fanout'];
  const cmd = inFinal('CMD');
  assert.equal(cmd.length, 1);
  const [node, ...args] = JSON.parse(cmd[0]?.args ?? '') as string[];
  assert.equal(node, 'node');
  // Node flags (the young generation's size), then the bin.
  const flags = args.slice(0, -2);
  assert.ok(
    flags.every((flag) => flag.startsWith('--')),
    `only flags before the bin: ${flags.join(' ')}`,
  );
  assert.deepEqual(args.slice(-2), [bin, 'start']);
});

test('.dockerignore lets in every file the build copies from the context, and nothing else', () => {
  const rules = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(rules[0], '*', '.dockerignore should be an allowlist');
  const allowed = new Set(rules.slice(1).map((r) => r.replace(/^!/, '').replace(/\/$/, '')));
  const sources = instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
    .flatMap((i) => i.args.split(' ').slice(0, -1));
  assert.deepEqual(
    [...new Set(sources.map((s) => s.replace(/^\.\//, '').replace(/\/$/, '')))].sort(),
    [...allowed].sort(),
  );
});
