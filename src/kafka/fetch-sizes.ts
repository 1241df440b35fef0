// Each sink's consumer fetches on its own, so each can have its own fetch sizes: MongoDB's batches
// (one partition's fetch) can grow while Elasticsearch, far past its throughput goal, holds less.
import type { Config } from '../config/load.js';
import type { SinkName } from '../config/tables.js';
import type { FetchSizes } from './client.js';

/** The sink's own fetch sizes where set (not 0; MongoDB's auto is resolved at load), else the KAFKA_ ones. */
export function fetchSizesFor(config: Config, sink: SinkName): FetchSizes {
  const own = config[sink];
  return {
    maxBytes: own.fetchMaxBytes || config.kafka.maxBytes,
    maxBytesPerPartition: own.fetchMaxBytesPerPartition || config.kafka.maxBytesPerPartition,
  };
}
