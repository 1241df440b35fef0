import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { fetchSizesFor } from '../../../src/kafka/fetch-sizes.js';

describe('fetchSizesFor', () => {
  test("a sink's own fetch sizes apply to its consumer only; unset, the KAFKA_ ones", () => {
    const config = loadConfig({
      KAFKA_MAX_BYTES: '2097152',
      KAFKA_MAX_BYTES_PER_PARTITION: '524288',
      MONGODB_FETCH_MAX_BYTES: '8388608',
      MONGODB_FETCH_MAX_BYTES_PER_PARTITION: '2097152',
      ELASTICSEARCH_FETCH_MAX_BYTES_PER_PARTITION: '262144',
    });
    assert.deepEqual(fetchSizesFor(config, 'mongodb'), { maxBytes: 8388608, maxBytesPerPartition: 2097152 });
    assert.deepEqual(fetchSizesFor(config, 'elasticsearch'), {
      maxBytes: 2097152,
      maxBytesPerPartition: 262144,
    });
  });

  test('the defaults are the KAFKA_ ones for both sinks', () => {
    const config = loadConfig({});
    for (const sink of ['mongodb', 'elasticsearch'] as const)
      assert.deepEqual(fetchSizesFor(config, sink), {
        maxBytes: config.kafka.maxBytes,
        maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      });
  });

  test('a size below 1 KiB other than 0 is refused at start', () => {
    assert.throws(() => loadConfig({ MONGODB_FETCH_MAX_BYTES: '100' }), ConfigError);
  });
});
