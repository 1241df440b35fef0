// `cdc-fanout <command> --help` answers with every flag the command accepts and exits 0, even
// where the environment would not load; an unknown flag exits 2 with the command's help.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS, commandHelp, parseFlags } from '../../../src/cli/commands.js';
import { TABLES } from '../../../src/generate/generator.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    // A configuration that would not load: help must not need one.
    env: { ...process.env, HTTP_PORT: 'not-a-port' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('cdc-fanout <command> --help', () => {
  for (const name of Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>) {
    test(`${name}: --help and -h list every flag and exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const { code, stdout } = await cli([name, flag]);
        assert.equal(code, 0, stdout);
        assert.match(stdout, new RegExp(`^usage: cdc-fanout ${name}`));
        for (const option of Object.keys(COMMANDS[name].flags))
          assert.match(stdout, new RegExp(`--${option}\\b`));
        assert.match(stdout, /-h, --help/);
      }
    });
  }

  test('an unknown flag exits 2 naming it, with the command help', async () => {
    const { code, stderr } = await cli(['verify', '--tabel', 'inventory.orders']);
    assert.equal(code, 2);
    assert.match(stderr, /Unknown option '--tabel'/);
    assert.match(stderr, /usage: cdc-fanout verify/);
  });

  test('the bare binary and --help list the commands', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    for (const name of Object.keys(COMMANDS)) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.equal((await cli([])).code, 2);
  });
});

describe('flag parsing', () => {
  test('defaults, repeatable and boolean flags', () => {
    assert.deepEqual(
      { ...parseFlags('verify', ['--table', 'a.b', '--table', 'c.d', '--json']) },
      {
        table: ['a.b', 'c.d'],
        sink: [],
        json: true,
      },
    );
    assert.equal(parseFlags('generate', []).rate, '100');
  });

  test("generate's documented default tables are the generator's", () => {
    assert.equal(COMMANDS.generate.flags.tables.default, TABLES.join(','));
    assert.match(commandHelp('generate'), /default customers,orders,hard_types/);
  });
});
