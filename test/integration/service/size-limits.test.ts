// A change event larger than a sink accepts, end to end: it is dead-lettered once per sink that
// refuses it (MongoDB: over 16 MiB of BSON; Elasticsearch: a request over http.max_content_length),
// never retried; the dead-letter topic, which refuses a record that large (max.message.bytes, 1 MB by
// default), gets the letter without its value and a header saying so; the rows after it arrive.
//
// The event is a real insert of this run's customers table re-produced by hand with a 17 MiB
// last_name and the LSN one above the insert's, into the same partition with the same key; the
// real update of the row that follows has a larger LSN, so the sinks converge on Postgres whether
// or not they took the large version. Its topic's max.message.bytes is raised dynamically first.
//
// Elasticsearch's limit depends on the running node: the stack sets http.max_content_length to
// 16mb, but a node started before that setting still has the 100mb default, and it is never
// restarted here. The test reads the effective limit (GET _nodes/http) and expects an
// Elasticsearch dead letter only when the request is over it; when it is not, Elasticsearch must
// take the document (a dead letter there would be wrong). The 413 path itself is unit-tested, and
// also checked here against the real node with a document just over its limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import pino from 'pino';
import { DEAD_LETTER_HEADERS } from '../../../src/pipeline/dead-letter.js';
import {
  ElasticsearchSink,
  createElasticsearchClient,
  smallestMaxContentLength,
} from '../../../src/sinks/elasticsearch/sink.js';
import type { RowChange } from '../../../src/decoder/types.js';
import type { Stores } from '../support/converge.js';
import { readRecordOfKey, readWholeTopic } from '../support/kafka-tools.js';
import { sampleSum } from '../support/metrics.js';
import { TestRun } from '../support/run.js';
import { elasticsearch, stack, tableTopic, uniqueRunId } from '../support/stack.js';

const { ConfigResourceTypes } = kafkajs;
const SINKS = ['elasticsearch', 'mongodb'] as const;
const MONGODB_MAX_DOCUMENT = 16 * 1024 * 1024;
/** The over-size column: above MongoDB's limit and the stack's 16mb http.max_content_length. */
const LARGE_BYTES = 17 * 1024 * 1024;
const TOPIC_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

async function topicConfig(admin: Admin, topic: string, name: string): Promise<string | undefined> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  return described.resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
}

async function esMaxContentLength(): Promise<number> {
  const info = await elasticsearch().nodes.info({ metric: 'http' });
  const limit = smallestMaxContentLength(info);
  assert.ok(limit !== null, 'GET _nodes/http names http.max_content_length');
  return limit;
}

describe('a change event over the sinks size limits', { timeout: 300_000 }, () => {
  const fixture = new TestRun(uniqueRunId('size'), { producer: true });
  const { run, tables, env, service } = fixture;
  const customers = tables.names.customers;
  const CUSTOMERS = tableTopic(customers);
  const converge = () => fixture.converge();
  let stores: Stores;
  let mongo: MongoClient;
  let admin: Admin;
  let producer: Producer;
  let baselineMetrics = '';

  before(async () => {
    ({ stores, mongo, admin, producer } = await fixture.open());
    // Only this run's table topic takes the large message: raised at runtime, no broker restart.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: CUSTOMERS,
          configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
        },
      ],
    });
    assert.equal(await topicConfig(admin, CUSTOMERS, 'max.message.bytes'), String(TOPIC_MAX_MESSAGE_BYTES));
    await service.start();
  });

  after(() => fixture.close());

  test('the service first catches up with its table topics', async () => {
    await converge();
    await fixture.caughtUp();
    baselineMetrics = (await service.get('/metrics')).body;
  });

  test('the over-size event is dead-lettered once per refusing sink, without its value; later rows arrive; no endless retries', async () => {
    const { pg } = stores;
    const esLimit = await esMaxContentLength();
    const inserted = await pg.query<{ id: number; last_name: string }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email) VALUES ('Large', 'Row', '${run}-large@example.com') RETURNING id, last_name`,
    );
    const id = inserted.rows[0]!.id;
    const real = await readRecordOfKey(CUSTOMERS, id);
    const realValue = real.value!.toString();
    const lsn = /"lsn":(\d+)/.exec(realValue)?.[1];
    assert.ok(lsn, 'the real event carries source.lsn');
    const oldName = `"last_name":${JSON.stringify('Row')}`;
    assert.equal(realValue.split(oldName).length, 2, 'last_name appears once, in after');
    const large = Buffer.from(
      realValue
        .replace(oldName, `"last_name":"${'L'.repeat(LARGE_BYTES)}"`)
        .replace(`"lsn":${lsn}`, `"lsn":${BigInt(lsn) + 1n}`),
    );
    assert.ok(large.length > LARGE_BYTES && large.length < TOPIC_MAX_MESSAGE_BYTES);

    const [sent] = await producer.send({
      topic: CUSTOMERS,
      acks: -1,
      messages: [{ key: real.key, value: large, partition: real.partition }],
    });
    const offset = sent!.baseOffset!;

    // Rows after it: the same row updated (same partition, larger LSN) and new ones anywhere.
    await pg.query(`UPDATE inventory.${customers} SET last_name = 'After the large one' WHERE id = $1`, [id]);
    await pg.query(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'After' || g, 'Large', '${run}-after' || g || '@example.com' FROM generate_series(1, 10) g`,
    );
    await converge();
    const doc = await mongo
      .db(run)
      .collection(`inventory.${customers}`)
      .findOne({ _id: String(id) as never });
    assert.equal(doc?.last_name, 'After the large one');
    // Offsets move only once the letters are acknowledged: past this, they are all there.
    await fixture.caughtUp();

    // The bulk request carries the document plus its action line: over the limit by far or not at all.
    const esRefuses = large.length > esLimit;
    const refusing = esRefuses ? SINKS : (['mongodb'] as const);
    const dlqMax = Number(await topicConfig(admin, env.DEAD_LETTER_TOPIC, 'max.message.bytes'));
    assert.ok(
      dlqMax > 0 && dlqMax < large.length,
      `the dead-letter topic refuses ${large.length} bytes (max ${dlqMax})`,
    );

    const letters = await readWholeTopic(admin, env.DEAD_LETTER_TOPIC);
    for (const sink of SINKS) {
      const mine = letters.filter((letter) => letter.headers[DEAD_LETTER_HEADERS.sink] === sink);
      if (!(refusing as readonly string[]).includes(sink)) {
        assert.equal(
          mine.length,
          0,
          `${sink} takes ${large.length} bytes (limit ${esLimit}): no dead letter`,
        );
        continue;
      }
      assert.equal(mine.length, 1, `${sink}: exactly one dead letter`);
      const letter = mine[0]!;
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.topic], CUSTOMERS);
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.partition], String(real.partition));
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.offset], offset);
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.errorClass], 'PermanentSinkError');
      const reason = letter.headers[DEAD_LETTER_HEADERS.errorMessage] ?? '';
      if (sink === 'mongodb') {
        assert.match(
          reason,
          new RegExp(`too large: \\d+ bytes of BSON \\(limit ${MONGODB_MAX_DOCUMENT} bytes`),
        );
      } else {
        assert.match(
          reason,
          new RegExp(
            `too large: its bulk request is \\d+ bytes, refused with 413 \\(limit: http.max_content_length ${esLimit} bytes\\)`,
          ),
        );
      }
      // Too large for the dead-letter topic: the key is kept, the value omitted, and a header says so.
      assert.ok(letter.key?.equals(real.key!), `${sink}: original key`);
      assert.equal(letter.value, null, `${sink}: value omitted`);
      assert.match(
        letter.headers[DEAD_LETTER_HEADERS.valueOmitted] ?? '',
        new RegExp(`value of ${large.length} bytes omitted: .*too large`),
      );
    }
    assert.equal(letters.length, refusing.length, 'nothing else was dead-lettered');
    assert.ok(
      service.lines.some(
        (line) => line.msg === 'dead letter written without its value: too large for the dead-letter topic',
      ),
    );

    // Counted once per refusing sink, and no retry keeps going for it.
    const metrics = (await service.get('/metrics')).body;
    const moved = (text: string, name: string, labels: Record<string, string>) =>
      sampleSum(text, name, labels) - sampleSum(baselineMetrics, name, labels);
    for (const sink of SINKS) {
      const expected = (refusing as readonly string[]).includes(sink) ? 1 : 0;
      assert.equal(
        moved(metrics, 'cdc_fanout_dead_letters_total', {
          sink,
          topic: CUSTOMERS,
          error: 'PermanentSinkError',
        }),
        expected,
        `${sink}: dead-letter counter`,
      );
    }
    assert.equal(
      moved(metrics, 'cdc_fanout_retries_total', { sink: 'dead-letter' }),
      0,
      'the dead-letter topic was never retried',
    );
    const retriesNow = sampleSum(metrics, 'cdc_fanout_retries_total');
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const later = (await service.get('/metrics')).body;
    assert.equal(sampleSum(later, 'cdc_fanout_retries_total'), retriesNow, 'no retries keep being counted');
    assert.equal((await service.readiness()).status, 200);
  });

  test("a single document over the node's own http.max_content_length is a permanent failure, not a retry", async () => {
    // Whatever the node's limit (16mb from the stack, or the 100mb default of an older node).
    const limit = await esMaxContentLength();
    const options = {
      url: stack.elasticsearchUrl,
      username: '',
      password: '',
      apiKey: '',
      requestTimeoutMs: 120_000,
      gcDeletes: '1h',
      bulkMaxBytes: 8 * 1024 * 1024,
      reindexDiscoveryMs: 5000,
      logger: pino({ level: 'silent' }),
    };
    const sink = new ElasticsearchSink(createElasticsearchClient(options), options);
    const index = `${run}-direct`;
    try {
      await sink.connect();
      const op = (id: string, document: Record<string, string | number>) => ({
        kind: 'upsert' as const,
        target: index,
        id,
        position: 5n,
        document,
        unchangedColumns: [],
        event: {} as RowChange,
      });
      const results = await sink.write([
        op('small-1', { id: 1 }),
        op('huge', { id: 2, big: 'h'.repeat(limit + 1024) }),
        op('small-2', { id: 3 }),
      ]);
      assert.deepEqual(results[0], { status: 'written' });
      assert.deepEqual(results[2], { status: 'written' });
      const failed = results[1]!;
      assert.ok(failed.status === 'failed' && !failed.error.retriable, 'permanent');
      assert.match(
        failed.status === 'failed' ? failed.error.message : '',
        new RegExp(`refused with 413 \\(limit: http.max_content_length ${limit} bytes\\)`),
      );
    } finally {
      await sink.close();
    }
  });
});
