// The local stack's component logs are bounded: one over STACK_LOG_KEEP_MB when its component
// starts is moved aside, replacing the older one, so a long-lived machine keeps two per component.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = new URL('../../..', import.meta.url).pathname;
const stackDir = mkdtempSync(join(tmpdir(), 'stack-logs-'));
after(() => rmSync(stackDir, { recursive: true, force: true }));

function rotate(name: string): string {
  return execFileSync('bash', ['-c', `source "${ROOT}stack/lib.sh" && rotate_log "${name}" 2>&1`], {
    env: { ...process.env, STACK_DIR: stackDir, STACK_LOG_KEEP_MB: '1' },
    encoding: 'utf8',
  });
}

test('a log over the limit is moved to .1, replacing the last; one under it and a missing one stay', () => {
  mkdirSync(join(stackDir, 'logs'), { recursive: true });
  const log = (name: string) => join(stackDir, 'logs', `${name}.log`);
  writeFileSync(log('connect'), 'x'.repeat(1024 * 1024 + 1));
  writeFileSync(`${log('connect')}.1`, 'the older log');
  writeFileSync(log('kafka'), 'y'.repeat(1024 * 1024));

  assert.match(rotate('connect'), /connect's log was over 1 MB: moved to .*connect\.log\.1/);
  assert.equal(existsSync(log('connect')), false);
  assert.equal(statSync(`${log('connect')}.1`).size, 1024 * 1024 + 1);

  assert.equal(rotate('kafka'), '');
  assert.equal(readFileSync(log('kafka'), 'utf8').length, 1024 * 1024);
  assert.equal(existsSync(`${log('kafka')}.1`), false);

  assert.equal(rotate('mongo'), '');
  assert.equal(existsSync(log('mongo')), false);
});
