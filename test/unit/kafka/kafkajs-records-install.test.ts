// The install must happen before kafkajs loads, so this file checks it in a process of its own
// (node --test runs each file in one): kafkajs' batch decoder must end up calling decodeRecord.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { decodeRecord, installRecordDecoder, loadKafkajs } from '../../../src/kafka/kafkajs-records.js';

const require = createRequire(import.meta.url);

test('loading kafkajs puts decodeRecord under its batch decoder, once; later installs change nothing', async () => {
  const { kafkajs, fastRecords } = loadKafkajs();
  assert.equal(fastRecords, true);
  assert.equal(typeof kafkajs.Kafka, 'function');
  assert.equal(require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js'), decodeRecord);

  // A batch encoded by kafkajs and decoded by its batch decoder goes through decodeRecord.
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  const Decoder = require('kafkajs/src/protocol/decoder.js');
  const Long = require('kafkajs/src/utils/long.js');
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const records = [0, 1, 2].map((offsetDelta) =>
    Record({
      offsetDelta,
      timestampDelta: offsetDelta,
      key: Buffer.from(`k${offsetDelta}`),
      value: Buffer.from('v'),
      headers: { h: Buffer.from('x') },
    }),
  );
  const encoded = await RecordBatch({
    firstOffset: Long.fromValue('9007199254740990'),
    firstTimestamp: 1000,
    maxTimestamp: 1002,
    lastOffsetDelta: 2,
    records,
  });
  const batch = await decodeBatch(new Decoder(encoded.buffer));
  assert.deepEqual(
    batch.records.map((record: { offset: string; timestamp: string; key: Buffer }) => [
      record.offset,
      record.timestamp,
      String(record.key),
    ]),
    [
      ['9007199254740990', '1000', 'k0'],
      ['9007199254740991', '1001', 'k1'],
      ['9007199254740992', '1002', 'k2'],
    ],
  );

  // kafkajs' batch decoder holds the record decoder it loaded with: too late to install now.
  assert.equal(installRecordDecoder(), false);
});
