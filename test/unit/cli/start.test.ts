// A start that cannot work ends the process with the variable's name and a non-zero code: before
// this, a MONGODB_URL the driver refused threw after the HTTP server listened, and the process
// lived on with /healthz answering 200 and nothing consuming.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('cdc-fanout start with a connection setting the sink client refuses', () => {
  test('exits 1 naming MONGODB_URL, without the secret, instead of serving /healthz forever', async () => {
    const { code, output } = await start({
      // Passes the schema's syntax check; the driver refuses the unknown option.
      MONGODB_URL: 'mongodb://app:s3cret-pw@127.0.0.1:1/?bogusOption=1',
      // Nothing else may be needed before the sinks are built: no Kafka, no dead-letter producer.
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_TOPICS: 'cdc.inventory.customers',
      DEAD_LETTER_ENABLED: 'false',
    });
    assert.equal(code, 1, output);
    assert.match(output, /MONGODB_URL: .*bogusoption is not supported/);
    assert.ok(!output.includes('s3cret-pw'), output);
  });

  test('a malformed URL is refused by the configuration before anything starts', async () => {
    const { code, output } = await start({ MONGODB_URL: 'mongodb://127.0.0.1:notaport' });
    assert.equal(code, 1, output);
    assert.match(output, /MONGODB_URL: must name every host as host or host:port/);
  });
});
