// `cdc-fanout start`: runs the service until SIGTERM or SIGINT, then stops gracefully: fetching
// stops, the batch in hand finishes or is abandoned uncommitted, offsets are committed, exit 0.
import { Registry } from 'prom-client';
import { Service } from '../app.js';
import type { Config } from '../config/load.js';
import { createKafkajsClient } from '../kafka/kafkajs.js';
import type { Logger } from 'pino';
import { checkRenamesAtStart } from '../router/catalog-check.js';
import { applyHeapGrowingPercent } from './heap-growth.js';

export async function runStart(config: Config, logger: Logger): Promise<number> {
  applyHeapGrowingPercent(config.heapGrowingPercent);
  // 0 leaves the growth to V8, or to a --heap-growing-percent on the Node command line.
  logger.info({ heapGrowingPercent: config.heapGrowingPercent }, 'heap growth between full collections');
  const kafka = createKafkajsClient({ ...config.kafka, logger });
  const service = new Service(config, kafka, logger, new Registry());
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      // A sink that stopped answering can hold a batch forever; past the deadline it is abandoned.
      // That is safe: nothing past what was written was committed, and the next run redoes it.
      const deadline = setTimeout(() => {
        logger.warn(
          { shutdownTimeoutMs: config.shutdownTimeoutMs },
          'in-flight batches did not finish in time: abandoned uncommitted, they will be redone',
        );
        resolve(0);
      }, config.shutdownTimeoutMs);
      service
        .stop()
        .then(
          () => resolve(0),
          (error: unknown) => {
            logger.error({ err: error }, 'error while stopping');
            resolve(1);
          },
        )
        .finally(() => clearTimeout(deadline));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    // A rename the table's columns contradict ends the start here, before anything is consumed.
    await checkRenamesAtStart(config, logger);
    await service.start();
  } catch (error) {
    // Nothing may keep serving /healthz for a service that never ran: stop what did start.
    await service.stop().catch(() => undefined);
    throw error;
  }
  const code = await stopped;
  // main() exits the process right after: write out what the logger still buffers.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return code;
}
