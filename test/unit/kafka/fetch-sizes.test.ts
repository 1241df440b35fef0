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

  test('with both sinks in the process the defaults are the KAFKA_ ones for both', () => {
    const config = loadConfig({ SINKS: 'elasticsearch,mongodb' });
    for (const sink of ['mongodb', 'elasticsearch'] as const)
      assert.deepEqual(fetchSizesFor(config, sink), {
        maxBytes: config.kafka.maxBytes,
        maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      });
  });

  test('with MongoDB as the only sink its consumer fetches twice the KAFKA_ sizes by default', () => {
    assert.deepEqual(fetchSizesFor(loadConfig({ SINKS: 'mongodb' }), 'mongodb'), {
      maxBytes: 2 * 2097152,
      maxBytesPerPartition: 2 * 524288,
    });
    const scaled = loadConfig({
      SINKS: 'mongodb',
      KAFKA_MAX_BYTES: '1048576',
      KAFKA_MAX_BYTES_PER_PARTITION: '262144',
    });
    assert.deepEqual(fetchSizesFor(scaled, 'mongodb'), { maxBytes: 2097152, maxBytesPerPartition: 524288 });
    const largest = loadConfig({ SINKS: 'mongodb', KAFKA_MAX_BYTES: String(2 ** 30) });
    assert.equal(fetchSizesFor(largest, 'mongodb').maxBytes, 2 ** 30);
  });

  test('auto, 0 and a size are each taken as given, whatever the sinks', () => {
    const alone = { SINKS: 'mongodb' };
    assert.deepEqual(
      fetchSizesFor(
        loadConfig({ ...alone, MONGODB_FETCH_MAX_BYTES: '0', MONGODB_FETCH_MAX_BYTES_PER_PARTITION: '0' }),
        'mongodb',
      ),
      { maxBytes: 2097152, maxBytesPerPartition: 524288 },
    );
    assert.deepEqual(
      fetchSizesFor(
        loadConfig({
          ...alone,
          MONGODB_FETCH_MAX_BYTES: '3145728',
          MONGODB_FETCH_MAX_BYTES_PER_PARTITION: 'auto',
        }),
        'mongodb',
      ),
      { maxBytes: 3145728, maxBytesPerPartition: 1048576 },
    );
    assert.deepEqual(
      fetchSizesFor(
        loadConfig({ SINKS: 'elasticsearch,mongodb', MONGODB_FETCH_MAX_BYTES: 'auto' }),
        'mongodb',
      ),
      { maxBytes: 2097152, maxBytesPerPartition: 524288 },
    );
  });

  test('a size below 1 KiB other than 0, or a word other than auto, is refused at start', () => {
    assert.throws(() => loadConfig({ MONGODB_FETCH_MAX_BYTES: '100' }), ConfigError);
    assert.throws(() => loadConfig({ MONGODB_FETCH_MAX_BYTES_PER_PARTITION: 'double' }), /auto/);
    assert.throws(() => loadConfig({ ELASTICSEARCH_FETCH_MAX_BYTES: 'auto' }), ConfigError);
  });

  test('every byte-count setting takes 1 KiB to 1 GiB and refuses one byte beyond either end', () => {
    const formats = [
      ['KAFKA_MAX_BYTES', /from 1024 to 1073741824/],
      ['ELASTICSEARCH_FETCH_MAX_BYTES', /0 \(the KAFKA_ setting\) or from 1024 to 1073741824/],
      ['MONGODB_FETCH_MAX_BYTES', /must be auto, or .* from 1024 to 1073741824/],
    ] as const;
    for (const [name, message] of formats) {
      for (const bytes of ['1024', '1073741824'])
        assert.doesNotThrow(() => loadConfig({ [name]: bytes }), name);
      for (const bytes of ['1023', '1073741825']) assert.throws(() => loadConfig({ [name]: bytes }), message);
    }
  });
});
