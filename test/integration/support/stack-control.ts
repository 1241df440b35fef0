// Stops and starts single components of the local stack (stack/*.sh) from a test, to inject an
// outage (a sink, Kafka, the schema registry). Starting goes through stack/up.sh, which waits until
// the component is healthy.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

export type Component =
  'elasticsearch' | 'mongo' | 'ferretdb' | 'kafka' | 'connect' | 'postgres' | 'registry';

/** Stops the component (SIGTERM, then SIGKILL after its grace period) and waits until it exited. */
export async function stopComponent(name: Component): Promise<void> {
  await run('bash', ['-c', `source stack/lib.sh; source stack/components.sh; ${name}_stop`], {
    cwd: ROOT,
    timeout: 120_000,
  });
}

/** Starts the component if it is not running and waits until it reports healthy. */
export async function startComponent(name: Component): Promise<void> {
  await run('bash', ['stack/up.sh', name], { cwd: ROOT, timeout: 300_000 });
}

export async function componentHealthy(name: Component): Promise<boolean> {
  try {
    await run('bash', ['-c', `source stack/lib.sh; source stack/components.sh; ${name}_healthy`], {
      cwd: ROOT,
      timeout: 30_000,
    });
    return true;
  } catch {
    return false;
  }
}
