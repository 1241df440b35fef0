// `cdc-fanout start`: runs the service until SIGTERM or SIGINT, then stops gracefully: fetching
// stops, the batch in hand finishes or is abandoned uncommitted, offsets are committed, exit 0.
import { Registry } from 'prom-client';
import { Service } from '../app.js';
import type { Config } from '../config/load.js';
import { createKafkajsClient } from '../kafka/kafkajs.js';
import type { Logger } from 'pino';

export async function runStart(config: Config, logger: Logger): Promise<number> {
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
      service.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.start();
  return stopped;
}
