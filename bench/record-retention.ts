// What the consumed records of one batch keep alive while the batch is in hand (kafkajs holds its
// records until the batch is committed): JS heap bytes per record, after the pipeline's reads of
// each record's offset, key and value, with kafkajs' own record decoder and with the one
// src/kafka/kafkajs-records.ts installs. A figure that does not depend on the machine's load, where
// catch-up timings do. One process per decoder (the decoder is chosen when kafkajs loads).
//
//   tsx bench/record-retention.ts [--records 10000] [--value-bytes 3500]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { installRecordDecoder } from '../src/kafka/kafkajs-records.js';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    'value-bytes': { type: 'string', default: '3500' },
    decoder: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const VALUE_BYTES = Number(values['value-bytes']);

/** Debezium's three context headers, as its Connect worker sends them. */
const HEADERS = {
  '__debezium.context.connectorLogicalName': Buffer.from('bench'),
  '__debezium.context.taskId': Buffer.from('0'),
  '__debezium.context.connectorName': Buffer.from('postgresql'),
};

async function batchBytes(): Promise<Buffer> {
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: object) => object;
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
    RecordBatch: (batch: object) => Promise<{ buffer: Buffer }>;
  };
  const records = Array.from({ length: RECORDS }, (_, index) =>
    Record({
      offsetDelta: index,
      timestampDelta: index,
      key: Buffer.from(JSON.stringify({ schema: { type: 'struct' }, payload: { id: index } })),
      value: Buffer.from(`{"payload":"${'x'.repeat(VALUE_BYTES)}","id":${index}}`),
      headers: HEADERS,
    }),
  );
  const batch = await RecordBatch({ firstOffset: '1000000', lastOffsetDelta: RECORDS - 1, records });
  return batch.buffer;
}

interface Consumed {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

async function measure(decoder: string): Promise<void> {
  if (decoder === 'installed' && !installRecordDecoder()) throw new Error('the decoder did not install');
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
    decoder: unknown,
  ) => Promise<{ records: Consumed[] }>;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const bytes = await batchBytes();
  gc();
  const before = getHeapStatistics().used_heap_size;
  const { records } = await decodeBatch(new Decoder(bytes));
  // The pipeline's reads: the offset, and each key and value once, to decode them.
  let read = 0;
  for (const record of records)
    read += record.offset.length + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  gc();
  const after = getHeapStatistics().used_heap_size;
  console.log(
    `${decoder.padEnd(9)} ${records.length} records, ${read} bytes read: ${((after - before) / records.length).toFixed(0)} bytes of JS heap per record kept with the batch`,
  );
}

if (values.decoder) {
  await measure(values.decoder);
} else {
  for (const decoder of ['kafkajs', 'installed']) {
    const output = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        import.meta.filename,
        '--decoder',
        decoder,
        '--records',
        values.records,
        '--value-bytes',
        values['value-bytes'],
      ],
      { encoding: 'utf8' },
    );
    process.stdout.write(output);
  }
}
