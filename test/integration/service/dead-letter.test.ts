// Poison messages in a table topic, end to end: each one goes to the dead-letter topic once per
// sink with its original bytes and headers saying why and where from, the rows after it still
// arrive, and with the dead-letter topic disabled the pipeline stops on it without committing past.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { DEAD_LETTER_HEADERS } from '../../../src/pipeline/dead-letter.js';
import type { Stores } from '../support/converge.js';
import { committedOffsets, endOffsets, readRecordOfKey, readWholeTopic } from '../support/kafka-tools.js';
import { sampleSum } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import { TestRun, instanceEnv, sinkGroups } from '../support/run.js';
import { tableTopic, uniqueRunId } from '../support/stack.js';

const SINKS = ['elasticsearch', 'mongodb'] as const;
const ERROR_LEVEL = 50;

interface Poison {
  readonly name: string;
  readonly value: Buffer;
  /** What the dead-letter error message must say about it. */
  readonly reason: RegExp;
}

describe('poison messages and the dead-letter topic', { timeout: 240_000 }, () => {
  // This run's copies of the demo tables: the poison goes into its customers topic, so the shared
  // cdc.inventory.customers topic is never left with poison in it for every later full load.
  const fixture = new TestRun(uniqueRunId('dlq'), { producer: true });
  const { run, tables, env, service } = fixture;
  const customers = tables.names.customers;
  const CUSTOMERS = tableTopic(customers);
  // The second instance: its own groups and stores, and no dead-letter topic. It reads the
  // customers topic from its start, so the first poison is the first it cannot write.
  const haltRun = `${run}-halt`;
  const halted = fixture.instance(haltRun, {
    ...instanceEnv(haltRun),
    DEAD_LETTER_ENABLED: 'false',
    KAFKA_TOPICS: CUSTOMERS,
  });
  const haltGroups = sinkGroups(haltRun);
  const converge = () => fixture.converge();
  let stores: Stores;
  let mongo: MongoClient;
  let admin: Admin;
  let producer: Producer;
  let baselineMetrics = '';
  // Filled in by the poison test, read by the halt test.
  let poisonPartition = -1;
  let poisonOffsets: bigint[] = [];

  before(async () => {
    ({ stores, mongo, admin, producer } = await fixture.open());
    await service.start();
  });

  after(() => fixture.close());

  test('the service first catches up with its table topics', async () => {
    await converge();
    await fixture.caughtUp();
    baselineMetrics = (await service.get('/metrics')).body;
  });

  test('each poison record is dead-lettered once per sink, with its bytes and origin; later rows arrive', async () => {
    const { pg } = stores;
    // A real change event of a fresh row gives the poison a real key, and its partition.
    const inserted = await pg.query<{ id: number }>(
      `INSERT INTO inventory.${customers} (first_name, last_name, email) VALUES ('Poison', 'Neighbour', '${run}-x@example.com') RETURNING id`,
    );
    const id = inserted.rows[0]!.id;
    const real = await readRecordOfKey(CUSTOMERS, id);
    const realValue = real.value!.toString();
    assert.ok(realValue.includes('"op":"c",'), 'the real event is an insert');
    const poisons: Poison[] = [
      {
        name: 'truncated JSON',
        value: real.value!.subarray(0, Math.floor(real.value!.length / 2)),
        reason: /JSON/i,
      },
      {
        name: 'an envelope without op',
        value: Buffer.from(realValue.replace('"op":"c",', '')),
        reason: /\bop\b/,
      },
      {
        name: "an unknown op 'x'",
        value: Buffer.from(realValue.replace('"op":"c",', '"op":"x",')),
        reason: /"x"/,
      },
    ];
    JSON.parse(poisons[1]!.value.toString()); // still valid JSON: only the envelope is wrong

    const [sent] = await producer.send({
      topic: CUSTOMERS,
      acks: -1,
      messages: poisons.map((poison) => ({ key: real.key, value: poison.value, partition: real.partition })),
    });
    poisonPartition = real.partition;
    const base = BigInt(sent!.baseOffset!);
    poisonOffsets = poisons.map((_, index) => base + BigInt(index));

    // Rows after the poison: one on the poison's own partition (same key), others anywhere.
    await pg.query(`UPDATE inventory.${customers} SET last_name = 'After the poison' WHERE id = $1`, [id]);
    await pg.query(
      `INSERT INTO inventory.${customers} (first_name, last_name, email)
       SELECT 'After' || g, 'Poison', '${run}-after' || g || '@example.com' FROM generate_series(1, 10) g`,
    );
    await converge();
    const doc = await mongo
      .db(run)
      .collection(`inventory.${customers}`)
      .findOne({ _id: String(id) as never });
    assert.equal(doc?.last_name, 'After the poison');
    // Offsets move only once the letters are acknowledged, so after this they are all there.
    await fixture.caughtUp();

    const everything = await readWholeTopic(admin, env.DEAD_LETTER_TOPIC);
    const letters = everything.filter(
      (letter) =>
        letter.headers[DEAD_LETTER_HEADERS.topic] === CUSTOMERS &&
        letter.headers[DEAD_LETTER_HEADERS.partition] === String(poisonPartition) &&
        poisonOffsets.includes(BigInt(letter.headers[DEAD_LETTER_HEADERS.offset] ?? '-1')),
    );
    for (const sink of SINKS) {
      poisons.forEach((poison, index) => {
        const offset = String(poisonOffsets[index]);
        const found = letters.filter(
          (letter) =>
            letter.headers[DEAD_LETTER_HEADERS.sink] === sink &&
            letter.headers[DEAD_LETTER_HEADERS.offset] === offset,
        );
        assert.equal(found.length, 1, `${sink}: one dead letter for ${poison.name} at offset ${offset}`);
        const letter = found[0]!;
        assert.ok(letter.key?.equals(real.key!), `${sink} ${poison.name}: original key bytes`);
        assert.ok(letter.value?.equals(poison.value), `${sink} ${poison.name}: original value bytes`);
        assert.equal(letter.headers[DEAD_LETTER_HEADERS.errorClass], 'DecodeError');
        assert.match(letter.headers[DEAD_LETTER_HEADERS.errorMessage] ?? '', poison.reason);
      });
    }
    assert.equal(letters.length, SINKS.length * poisons.length);
    assert.equal(everything.length, letters.length, 'nothing but the poison was dead-lettered');

    const metrics = (await service.get('/metrics')).body;
    const moved = (labels: Record<string, string>) =>
      sampleSum(metrics, 'cdc_fanout_dead_letters_total', labels) -
      sampleSum(baselineMetrics, 'cdc_fanout_dead_letters_total', labels);
    for (const sink of SINKS) {
      assert.equal(moved({ sink }), poisons.length, `${sink}: dead-letter counter moved by the poison count`);
      assert.equal(moved({ sink, topic: CUSTOMERS, error: 'DecodeError' }), poisons.length);
    }
  });

  test('with the dead-letter topic disabled the pipeline stops at the poison and commits nothing past it', async () => {
    assert.ok(poisonOffsets.length > 0, 'the poison test ran first');
    const first = poisonOffsets[0]!;
    const coordinates = `${CUSTOMERS}/${poisonPartition}@${first}`;
    const highs = await endOffsets(admin, [CUSTOMERS]);
    assert.ok(
      highs.get(CUSTOMERS)!.get(poisonPartition)! > poisonOffsets[poisonOffsets.length - 1]! + 1n,
      'the poison partition holds a real event after the poison',
    );

    await halted.start();
    for (const sink of SINKS) {
      const line = await halted.waitForLog(
        (entry) =>
          entry.level >= ERROR_LEVEL &&
          entry.sink === sink &&
          String(entry.reason ?? '').includes(coordinates),
        60_000,
      );
      assert.match(String(line.reason), /DecodeError/);
    }

    const readiness = await pollUntil('/readyz to report both halted pipelines', async () => {
      const current = await halted.readiness();
      return SINKS.every((sink) =>
        current.checks.some(
          (check) => check.name === sink && !check.ready && check.reason?.includes(coordinates),
        ),
      )
        ? current
        : null;
    });
    assert.equal(readiness.status, 503);
    assert.equal(readiness.ready, false);
    for (const check of readiness.checks) {
      assert.match(check.reason ?? '', /DEAD_LETTER_ENABLED=false/);
    }

    const committedAtMostPoison = async () => {
      for (const groupId of haltGroups) {
        const committed = (await committedOffsets(admin, groupId, [CUSTOMERS])).get(CUSTOMERS)!;
        const offset = committed.get(poisonPartition) ?? -1n;
        assert.ok(
          offset <= first,
          `${groupId} committed ${offset} on partition ${poisonPartition}, past the poison at ${first}`,
        );
      }
    };
    // It stays stopped: watch the committed offsets for longer than a relaunch would take
    // (RESTART_DELAY_MS, 5 s), then through a shutdown.
    const watchUntil = Date.now() + 12_000;
    while (Date.now() < watchUntil) {
      await committedAtMostPoison();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Halted means halted: one error per sink, never relaunched into the same poison again.
    for (const sink of SINKS) {
      const halts = halted.lines.filter((line) => line.sink === sink && /pipeline halted/.test(line.msg));
      assert.equal(halts.length, 1, `${sink} halted ${halts.length} times`);
    }
    assert.equal(
      halted.lines.filter((line) => /restarting the pipeline|failed to start; retrying/.test(line.msg))
        .length,
      0,
      'no pipeline was relaunched',
    );
    assert.equal((await halted.readiness()).status, 503);
    assert.equal(await halted.kill('SIGTERM'), 0);
    await committedAtMostPoison();
  });
});
