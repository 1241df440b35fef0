// The consumer loop's failure paths, with a fake consumer in kafkajs' place and a scripted sink
// (harness.ts): crashes, refused credentials, halts, stalls, truncates, folded changes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineHaltedError } from '../../../src/pipeline/sink-pipeline.js';
import type { SinkOpResult } from '../../../src/sinks/sink.js';
import { PermanentSinkError, SinkAccessError, TransientSinkError } from '../../../src/errors.js';
import { RegistryUnavailableError, UnknownSchemaError } from '../../../src/registry/client.js';
import { WriterSchemaCache } from '../../../src/registry/writer-schemas.js';
import { FixtureRegistry, avroRecord } from '../registry/avro-fixtures.js';
import { message, source } from '../decoder/helpers.js';
import {
  RecordingDeadLetters,
  ScriptedSink,
  insert,
  remove,
  startHarness,
  truncate,
  type Harness,
} from './harness.js';

/** A pipeline that has joined its group, whose sink writes everything. */
function joinedPipeline(onConsumerCrash: () => void): Promise<Harness> {
  return startHarness(new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' }))), {
    onConsumerCrash,
  });
}

describe('SinkPipeline when its consumer crashes', () => {
  test('for good: failed, not ready, the consumer is let go and the owner is told once', async () => {
    let told = 0;
    const { pipeline, consumer } = await joinedPipeline(() => told++);
    assert.equal(pipeline.status().ready, true);
    consumer.events!.onCrash(new Error('Failed to find group coordinator'), false);
    assert.equal(told, 1);
    const status = pipeline.status();
    assert.equal(status.state, 'failed');
    assert.equal(status.ready, false);
    assert.match(status.reason ?? '', /consumer crashed: Failed to find group coordinator/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(consumer.disconnects, 1);
  });

  test('with a restart by the client: not ready until it joins again, and the owner is not told', async () => {
    let told = 0;
    const { pipeline, consumer } = await joinedPipeline(() => told++);
    consumer.events!.onCrash(new Error('The coordinator is loading'), true);
    assert.equal(told, 0);
    assert.equal(pipeline.status().ready, false);
    assert.equal(pipeline.status().state, 'running');
    consumer.events!.onGroupJoin();
    assert.equal(pipeline.status().ready, true);
  });
});

describe('SinkPipeline when its consumer stays out of its group', () => {
  const outOfGroup = async (leave: (harness: Harness) => void) => {
    let told = 0;
    const harness = await startHarness(
      new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' }))),
      {
        onConsumerCrash: () => told++,
        stallTimeoutMs: 40,
      },
    );
    leave(harness);
    return { ...harness, told: () => told };
  };

  for (const [how, leave] of [
    ['after a rebalance', (h: Harness) => h.consumer.events!.onRebalancing()],
    [
      'after a crash the client said it would restart from',
      (h: Harness) => h.consumer.events!.onCrash(new Error('The coordinator is loading'), true),
    ],
  ] as const) {
    test(`${how}: replaced once PIPELINE_STALL_TIMEOUT_MS has passed, the owner told once`, async () => {
      const { pipeline, consumer, told } = await outOfGroup(leave);
      pipeline.refreshReadiness();
      assert.equal(told(), 0, 'not before the timeout');
      assert.equal(pipeline.status().state, 'running');
      await sleep(60);
      pipeline.refreshReadiness();
      pipeline.refreshReadiness();
      assert.equal(told(), 1);
      const status = pipeline.status();
      assert.equal(status.state, 'failed');
      assert.match(status.reason ?? '', /out of its consumer group for \d+ s/);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(consumer.disconnects, 1);
    });
  }

  test('back in its group in time: nothing is replaced, and a later absence counts from its own start', async () => {
    const { pipeline, consumer, told } = await outOfGroup((h) => h.consumer.events!.onRebalancing());
    await sleep(20);
    consumer.events!.onGroupJoin();
    await sleep(40);
    pipeline.refreshReadiness();
    assert.equal(told(), 0);
    assert.equal(pipeline.status().ready, true);
    consumer.events!.onRebalancing();
    pipeline.refreshReadiness();
    assert.equal(told(), 0);
  });
});

describe('SinkPipeline when the sink refuses its credentials', () => {
  test('the batch is retried, loudly and not ready, never dead-lettered, and committed once written', async () => {
    const readiness: boolean[] = [];
    const sink = new ScriptedSink((call, ops) => {
      readiness.push(harness.pipeline.status().ready);
      const result: SinkOpResult =
        call <= 2
          ? { status: 'failed', error: new SinkAccessError('elasticsearch refused access (401)') }
          : { status: 'written' };
      return ops.map(() => result);
    });
    const deadLetters = new RecordingDeadLetters();
    const harness: Harness = await startHarness(sink, { deadLetters });
    await harness.batch([insert(1, 100, 0), insert(2, 101, 1)]);
    assert.equal(sink.writes.length, 3);
    assert.deepEqual(readiness, [true, false, false]);
    assert.equal(deadLetters.letters.length, 0);
    assert.deepEqual(harness.commits, ['1']);
    const retries = harness.logs.filter((line) => line.msg === 'elasticsearch failed, retrying');
    assert.equal(retries.length, 2);
    assert.ok(
      retries.every((line) => line.level === 50),
      'access failures are logged at error level',
    );
    assert.equal(harness.pipeline.status().ready, true);
  });
});

describe('SinkPipeline with dead-lettering disabled', () => {
  test('a permanent failure halts it for good: not ready, one error, and the owner is not asked to relaunch', async () => {
    let relaunches = 0;
    const sink = new ScriptedSink((_call, ops) =>
      ops.map(() => ({ status: 'failed', error: new PermanentSinkError('mapper_parsing_exception') })),
    );
    const harness = await startHarness(sink, { deadLetters: null, onConsumerCrash: () => relaunches++ });
    await assert.rejects(harness.batch([insert(1, 100, 0)]), PipelineHaltedError);
    assert.deepEqual(harness.commits, []);
    // kafkajs reports the handler's error as a crash it will not restart from.
    harness.consumer.events!.onCrash(new PipelineHaltedError('halted'), false);
    assert.equal(relaunches, 0, 'a halted pipeline is not relaunched');
    const status = harness.pipeline.status();
    assert.equal(status.state, 'failed');
    assert.equal(status.ready, false);
    assert.match(
      status.reason ?? '',
      /DEAD_LETTER_ENABLED=false: PermanentSinkError at cdc.inventory.things\/0@0/,
    );
    assert.equal(harness.logs.filter((line) => line.level >= 50 && /halted/.test(line.msg)).length, 1);
  });
});

describe("SinkPipeline with a TABLES rename that the table's columns contradict", () => {
  test('stops clearly: nothing written or dead-lettered, failed and not ready naming TABLES, logged once', async () => {
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    const deadLetters = new RecordingDeadLetters();
    const harness = await startHarness(sink, {
      deadLetters,
      tables: { 'inventory.things': { rename: { name: 'label' } } },
    });
    // Schemaless (bare JSON): the columns are known from the row itself.
    const row = (id: number, offset: number) => ({
      ...message(
        { op: 'c', after: { id, name: 'a', label: 'b' }, source: source({ lsn: 100 + id }) },
        { columns: null, key: { id } },
      ),
      partition: 0,
      offset: String(offset),
    });
    // Two partitions' batches at once both find it.
    const results = await Promise.allSettled([harness.batch([row(1, 0)]), harness.batch([row(2, 1)])]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof PipelineHaltedError);
    }
    // The next batch is not taken at all.
    await assert.rejects(harness.batch([row(3, 2)]));
    assert.equal(sink.writes.length, 0, 'nothing written');
    assert.deepEqual(deadLetters.letters, [], 'nothing dead-lettered');
    assert.deepEqual(harness.commits, []);
    const status = harness.pipeline.status();
    assert.equal(status.state, 'failed');
    assert.equal(status.ready, false);
    assert.match(
      status.reason ?? '',
      /TABLES: table "inventory.things": elasticsearch target "inventory.things" renames column "name" to "label", which is also a column of the table/,
    );
    assert.equal(harness.logs.filter((line) => line.level >= 50).length, 1);
  });
});

describe('SinkPipeline with several targets of a table', () => {
  test('a document one target refuses is dead-lettered naming that target; the other target is written', async () => {
    const sink = new ScriptedSink((_call, ops) =>
      ops.map((op) =>
        op.target === 'slim'
          ? { status: 'failed', error: new PermanentSinkError('mapper_parsing_exception') }
          : { status: 'written' },
      ),
    );
    const deadLetters = new RecordingDeadLetters();
    const harness = await startHarness(sink, {
      deadLetters,
      tables: {
        'inventory.things': {
          targets: [
            { sink: 'elasticsearch', index: 'slim' },
            { sink: 'elasticsearch', index: 'full' },
          ],
        },
      },
    });
    await harness.batch([insert(1, 100, 0)]);
    assert.deepEqual(
      sink.writes[0]!.map((op) => op.target),
      ['slim', 'full'],
    );
    assert.deepEqual(
      deadLetters.letters.map((letter) => [letter.target, letter.record.offset, letter.error.message]),
      [['slim', '0', 'mapper_parsing_exception']],
    );
    assert.deepEqual(harness.commits, ['0']);
  });
});

describe('SinkPipeline progress', () => {
  test('a write that never answers makes the pipeline not ready, naming the partition, until it moves', async () => {
    let answer!: (results: SinkOpResult[]) => void;
    const sink = new ScriptedSink(() => [{ status: 'written' }]);
    sink.write = (ops) =>
      new Promise((resolve) => (answer = () => resolve(ops.map(() => ({ status: 'written' })))));
    const harness = await startHarness(sink, { stallTimeoutMs: 100 });
    const batch = harness.batch([insert(1, 100, 7)]);
    assert.equal(harness.pipeline.status().ready, true);
    await sleep(250);
    const stalled = harness.pipeline.status();
    assert.equal(stalled.ready, false);
    assert.match(
      stalled.reason ?? '',
      /^no progress for \d+ s on cdc\.inventory\.things\/0: the batch from offset 7 is not written yet$/,
    );
    harness.pipeline.refreshReadiness();
    assert.match(
      await harness.metrics.pipelineReady.get().then((m) => JSON.stringify(m.values)),
      /"value":0/,
    );
    answer([]);
    await batch;
    assert.equal(harness.pipeline.status().ready, true);
    assert.deepEqual(harness.commits, ['7']);
  });

  test("a rebalance clears the lag gauge of the pipeline's partitions (another member reports them now)", async () => {
    const harness = await startHarness(
      new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' }))),
    );
    await harness.batch([insert(1, 100, 0)]);
    const lagSeries = async () => (await harness.metrics.consumerLag.get()).values.length;
    assert.equal(await lagSeries(), 1);
    harness.consumer.events!.onRebalancing();
    assert.equal(await lagSeries(), 0);
  });
});

describe('SinkPipeline truncates', () => {
  test('a truncate the sink refuses for good is dead-lettered and the batch committed, not retried forever', async () => {
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    let attempts = 0;
    sink.truncate = async () => {
      attempts++;
      if (attempts === 1) throw new TransientSinkError('elasticsearch answered 503');
      throw new PermanentSinkError('elasticsearch refused the request (400): index closed');
    };
    const deadLetters = new RecordingDeadLetters();
    const harness = await startHarness(sink, { deadLetters, truncate: 'delete' });
    await harness.batch([insert(1, 100, 0), truncate(101, 1), insert(2, 102, 2)]);
    assert.equal(attempts, 2, 'the transient failure was retried, the permanent one was not');
    assert.deepEqual(
      deadLetters.letters.map((letter) => [letter.record.offset, letter.error.message]),
      [['1', 'elasticsearch refused the request (400): index closed']],
    );
    assert.equal(sink.writes.flat().length, 2, 'the writes around it were made');
    assert.deepEqual(harness.commits, ['2']);
  });
});

describe('SinkPipeline when a sink let go of its documents', () => {
  test('a retried write reads each document again from its record, as decoded the first time', async () => {
    const documents: unknown[][] = [];
    const sink = new ScriptedSink((call, ops) => {
      documents.push(ops.map((op) => (op.kind === 'upsert' ? { ...op.document } : null)));
      // As a sink does once it holds what it sends.
      for (const op of ops) if (op.kind === 'upsert') op.release?.();
      const result: SinkOpResult =
        call === 1 ? { status: 'failed', error: new TransientSinkError('timed out') } : { status: 'written' };
      return ops.map(() => result);
    });
    const harness = await startHarness(sink);
    await harness.batch([insert(1, 100, 0), remove(2, 101, 1), insert(3, 102, 2)]);
    assert.equal(sink.writes.length, 2);
    assert.deepEqual(documents, [
      [{ id: 1 }, null, { id: 3 }],
      [{ id: 1 }, null, { id: 3 }],
    ]);
    assert.deepEqual(harness.commits, ['2']);
  });
});

describe('SinkPipeline when an operation standing for several changes fails for good', () => {
  test('its changes are written one by one: the delete before an unwritable insert applies, each failure is dead-lettered', async () => {
    const sink = new ScriptedSink((_call, ops) =>
      ops.map((op) =>
        op.kind === 'upsert'
          ? { status: 'failed', error: new PermanentSinkError('document too large') }
          : { status: 'written' },
      ),
    );
    const deadLetters = new RecordingDeadLetters();
    const harness = await startHarness(sink, { deadLetters });
    await harness.batch([insert(1, 100, 0), remove(1, 101, 1), insert(1, 102, 2), insert(2, 103, 3)]);
    const written = sink.writes.map((ops) => ops.map((op) => `${op.kind}:${op.id}@${op.position}`).join(' '));
    assert.deepEqual(written, [
      // The batch, coalesced: one operation per document.
      'upsert:1@102 upsert:2@103',
      // Document 1's changes on their own, in order.
      'upsert:1@100',
      'delete:1@101',
      'upsert:1@102',
    ]);
    assert.deepEqual(
      deadLetters.letters.map((letter) => letter.record.offset),
      ['0', '2', '3'],
    );
    assert.deepEqual(harness.commits, ['3']);
  });
});

describe('SinkPipeline and a TRUNCATE applied from another partition', () => {
  test('a change from before the truncate written after it is deleted again, at the truncate position', async () => {
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    sink.truncateMarks = async (targets) =>
      new Map(targets.map((target) => [target, { position: 150n, commitTsMs: 0 }]));
    const harness = await startHarness(sink, { truncate: 'delete' });
    await harness.batch([insert(1, 100, 0), insert(2, 200, 1)]);
    assert.deepEqual(
      sink.writes.map((ops) => ops.map((op) => `${op.kind}:${op.id}@${op.position}`).join(' ')),
      ['upsert:1@100 upsert:2@200', 'delete:1@150'],
    );
    assert.deepEqual(harness.commits, ['1']);
  });

  test('tables whose truncates are ignored are not checked', async () => {
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    let asked = 0;
    sink.truncateMarks = async () => {
      asked++;
      return new Map();
    };
    const harness = await startHarness(sink, { truncate: 'ignore' });
    await harness.batch([insert(1, 100, 0)]);
    assert.equal(asked, 0);
  });
});

describe('SinkPipeline reading Avro records', () => {
  test('a registry outage holds the batch back, retried and not ready, never dead-lettered', async () => {
    let outages = 2;
    const readiness: boolean[] = [];
    const registry = new FixtureRegistry((id, text) => {
      readiness.push(harness.pipeline.status().ready);
      if (outages-- > 0) throw new RegistryUnavailableError('schema registry unreachable');
      return text!;
    });
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    const deadLetters = new RecordingDeadLetters();
    const harness: Harness = await startHarness(sink, {
      deadLetters,
      writerSchemas: new WriterSchemaCache(registry),
    });
    await harness.batch([avroRecord('new-1', 0)]);
    assert.deepEqual(readiness.slice(0, 3), [true, false, false]);
    assert.equal(deadLetters.letters.length, 0);
    assert.equal(sink.writes.flat().length, 1, 'the insert was written once the registry answered');
    assert.deepEqual(harness.commits, ['0']);
    assert.equal(harness.logs.filter((line) => line.msg === 'schema-registry failed, retrying').length, 2);
    assert.equal(harness.pipeline.status().ready, true);
  });

  test('a record whose schema id the registry does not know is dead-lettered, the rest written', async () => {
    const valueId = avroRecord('new-1', 0).value!.readUInt32BE(1);
    const registry = new FixtureRegistry((id, text) => {
      if (id === valueId) throw new UnknownSchemaError(`no schema ${id}`);
      return text!;
    });
    const sink = new ScriptedSink((_call, ops) => ops.map(() => ({ status: 'written' })));
    const deadLetters = new RecordingDeadLetters();
    const harness = await startHarness(sink, { deadLetters, writerSchemas: new WriterSchemaCache(registry) });
    await harness.batch([avroRecord('new-1', 0), insert(1, 100, 1)]);
    assert.equal(deadLetters.letters.length, 1);
    assert.equal(deadLetters.letters[0]!.record.offset, '0');
    assert.match(deadLetters.letters[0]!.error.message, new RegExp(`no schema ${valueId}`));
    assert.equal(sink.writes.flat().length, 1);
    assert.deepEqual(harness.commits, ['1']);
  });
});

describe('SinkPipeline metrics', () => {
  /** A metric's values as "label=value,...: count", sorted, the sink label left out. */
  const valuesOf = async (metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> }) =>
    (await metric.get()).values
      .map(
        ({ labels, value }) =>
          `${Object.entries(labels)
            .filter(([name]) => name !== 'sink')
            .map(([name, label]) => `${name}=${String(label)}`)
            .join(',')}: ${value}`,
      )
      .sort();

  test("count each batch's events by table and op, and its writes by table and result, dead letters included", async () => {
    const sink = new ScriptedSink((_call, ops) =>
      ops.map((op): SinkOpResult => {
        if (op.id === '1') return { status: 'written' };
        if (op.id === '2') return { status: 'stale' };
        return { status: 'failed', error: new PermanentSinkError('refused') };
      }),
    );
    const harness = await startHarness(sink, { deadLetters: new RecordingDeadLetters() });
    const at = (offset: number, value: Buffer | null) => ({
      ...insert(9, 100, offset),
      value,
    });
    await harness.batch([
      insert(1, 100, 0),
      insert(2, 101, 1),
      insert(3, 102, 2),
      at(3, null), // a tombstone
      at(4, Buffer.from('{not json')), // undecodable
      remove(4, 103, 5),
    ]);
    assert.deepEqual(await valuesOf(harness.metrics.eventsConsumed), [
      'table=inventory.things,op=c: 3',
      'table=inventory.things,op=d: 1',
      'table=inventory.things,op=tombstone: 1',
      'table=inventory.things,op=undecodable: 1',
    ]);
    assert.deepEqual(await valuesOf(harness.metrics.sinkWrites), [
      'table=inventory.things,result=dead_lettered: 3',
      'table=inventory.things,result=stale: 1',
      'table=inventory.things,result=written: 1',
    ]);
    const latency = (await harness.metrics.endToEndLatency.get()).values.filter(
      (value) => value.metricName === 'cdc_fanout_end_to_end_latency_seconds_count',
    );
    assert.deepEqual(
      latency.map((value) => [value.labels.table, value.value]),
      [['inventory.things', 2]],
    );
  });
});
