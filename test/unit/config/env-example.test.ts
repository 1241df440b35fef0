// .env.example lists every variable of the configuration schema with its default and its doc, in
// the schema's sections, and the local stack's STACK_* variables exactly as stack/lib.sh reads them.
// Adding, renaming or re-defaulting a setting without updating the file fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, schemaLeaves } from '../../../src/config/load.js';
import { parseTableOverrides } from '../../../src/config/tables.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const STACK_MARKER = /^# =+ Local stack\b/;

interface Entry {
  readonly name: string;
  readonly value: string;
  /** The comment lines right above it, without "# ". */
  readonly comments: readonly string[];
  /** The section header it is under ("kafka" for "# ---- kafka: ... ----"), or "stack". */
  readonly section: string;
  readonly line: number;
}

function parseEnvFile(text: string): Entry[] {
  const entries: Entry[] = [];
  let section = '';
  let comments: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    const header = /^# -{2,} (\w+)(?::.*?)? -{2,}$/.exec(line);
    if (STACK_MARKER.test(line)) {
      section = 'stack';
      comments = [];
    } else if (header) {
      section = header[1]!;
      comments = [];
    } else if (line.startsWith('#')) {
      comments.push(line.replace(/^# ?/, ''));
    } else if (line === '') {
      comments = [];
    } else {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      assert.ok(match, `.env.example line ${index + 1} is neither a comment nor NAME=value: ${line}`);
      entries.push({ name: match[1]!, value: match[2]!, comments, section, line: index + 1 });
      comments = [];
    }
  });
  return entries;
}

/** How a default is written in the file: arrays comma-joined, objects as JSON. */
function envValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The variables stack/lib.sh lets the environment override: NAME="${NAME:-default}". */
function stackVariables(libSh: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const match of libSh.matchAll(/^(STACK_[A-Z0-9_]+)="\$\{(STACK_[A-Z0-9_]+):-(.*)\}"\s*$/gm)) {
    if (match[1] === match[2]) variables.set(match[1]!, match[3]!);
  }
  return variables;
}

const envText = readFileSync(`${ROOT}/.env.example`, 'utf8');
const entries = parseEnvFile(envText);
const serviceEntries = entries.filter((entry) => entry.section !== 'stack');
const stackEntries = entries.filter((entry) => entry.section === 'stack');
const leaves = schemaLeaves();

describe('.env.example and the configuration schema', () => {
  test('every schema variable is in the file, and the file has no other service variable', () => {
    const inSchema = leaves.map((leaf) => leaf.env);
    assert.ok(
      inSchema.every((env) => typeof env === 'string'),
      'every schema leaf has an env var',
    );
    const inFile = serviceEntries.map((entry) => entry.name);
    const missing = inSchema.filter((env) => !inFile.includes(env!));
    const extra = inFile.filter((name) => !inSchema.includes(name));
    assert.deepEqual(missing, [], 'schema variables missing from .env.example');
    assert.deepEqual(extra, [], '.env.example variables the schema does not have');
    assert.equal(new Set(inFile).size, inFile.length, 'a variable is listed twice');
  });

  test('each variable has the schema default, in schema order, under its section header', () => {
    const byName = new Map(serviceEntries.map((entry) => [entry.name, entry]));
    for (const leaf of leaves) {
      const entry = byName.get(leaf.env!);
      if (!entry) continue; // reported by the test above
      assert.equal(entry.value, envValue(leaf.default), `${leaf.env} (line ${entry.line}) default`);
      assert.equal(entry.section, leaf.path.split('.')[0], `${leaf.env} (line ${entry.line}) section`);
    }
    assert.deepEqual(
      serviceEntries.map((entry) => entry.name),
      leaves.map((leaf) => leaf.env).filter((env) => byName.has(env!)),
      'variables in the order of the schema',
    );
  });

  test("each variable is preceded by the schema's doc as a one-line comment", () => {
    const byName = new Map(serviceEntries.map((entry) => [entry.name, entry]));
    for (const leaf of leaves) {
      const entry = byName.get(leaf.env!);
      if (!entry) continue;
      assert.equal(entry.comments[0], leaf.doc, `${leaf.env} (line ${entry.line}) doc comment`);
    }
  });

  test('the file loads as the defaults, and its commented TABLES example is valid', () => {
    const env = Object.fromEntries(serviceEntries.map((entry) => [entry.name, entry.value]));
    assert.deepEqual(loadConfig(env), loadConfig({}));
    const examples = [...envText.matchAll(/^# TABLES=(\{.+\})$/gm)];
    assert.ok(examples.length > 0, 'a commented example of TABLES');
    for (const example of examples) {
      const tables = parseTableOverrides(example[1]);
      assert.ok(Object.keys(tables).length > 0, 'the example configures at least one table');
      loadConfig({ TABLES: example[1] });
    }
  });
});

describe('.env.example and the local stack (stack/lib.sh)', () => {
  const libSh = readFileSync(`${ROOT}/stack/lib.sh`, 'utf8');
  const variables = stackVariables(libSh);

  test('the stack section comes last and holds only STACK_* variables, the service sections none', () => {
    assert.ok(variables.size > 0, 'stack/lib.sh defines overridable STACK_* variables');
    assert.ok(stackEntries.length > 0, 'a "Local stack" section');
    assert.ok(
      stackEntries.every((entry) => entry.name.startsWith('STACK_')),
      'only STACK_* variables in the stack section',
    );
    assert.ok(
      serviceEntries.every((entry) => !entry.name.startsWith('STACK_')),
      'no STACK_* variable among the service ones',
    );
    assert.ok(
      entries.findIndex((entry) => entry.section === 'stack') === serviceEntries.length,
      'the stack section after every service variable',
    );
  });

  test('the STACK_* variables are exactly those stack/lib.sh reads, each with its default', () => {
    const inFile = stackEntries.map((entry) => entry.name);
    assert.deepEqual(
      inFile.filter((name) => !variables.has(name)),
      [],
      'STACK_* variables in .env.example that stack/lib.sh does not read from the environment',
    );
    assert.deepEqual(
      [...variables.keys()].filter((name) => !inFile.includes(name)),
      [],
      'STACK_* variables of stack/lib.sh missing from .env.example',
    );
    for (const entry of stackEntries) {
      const fallback = variables.get(entry.name);
      if (fallback === undefined) continue;
      // A default computed in the script ("$STACK_ROOT/.stack") is written empty: ${X:-...} takes
      // an empty value as unset.
      const expected = fallback.includes('$') ? '' : fallback;
      assert.equal(entry.value, expected, `${entry.name} (line ${entry.line}) default`);
      assert.ok(entry.comments.length > 0, `${entry.name} (line ${entry.line}) has a comment`);
    }
  });
});
