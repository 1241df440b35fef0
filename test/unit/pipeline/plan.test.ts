import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planBatch as planWith, type Plan } from '../../../src/pipeline/plan.js';
import { Router } from '../../../src/router/router.js';
import type { TableOverrides, TruncateMode } from '../../../src/config/tables.js';
import type { ChangeEvent, Row, RowChange, RowOp, Tombstone, Truncate } from '../../../src/decoder/types.js';
import { Decimal } from '../../../src/decoder/types.js';
import { SNAPSHOT_POSITION, type SinkOp, type UpsertOp } from '../../../src/sinks/sink.js';

let offset = 0;
const coordinates = () => ({ topic: 'cdc.public.t', partition: 0, offset: String(offset++) });
const position = (lsn: bigint) => ({ lsn, commitTsMs: 1_700_000_000_000, txId: null, snapshot: false });

function change(
  op: RowOp,
  id: string,
  lsn: bigint,
  after: Row | null = op === 'd' ? null : { id, v: Number(lsn) },
  options: { table?: string; unchanged?: string[] } = {},
): RowChange {
  return {
    kind: 'row',
    op,
    table: { database: 'db', schema: 'public', table: options.table ?? 't' },
    key: { columns: [['id', id]], id },
    before: null,
    after,
    unchangedColumns: options.unchanged ?? [],
    columnTypes: null,
    position: position(lsn),
    record: coordinates(),
  };
}

function truncate(lsn: bigint, table = 't'): Truncate {
  return {
    kind: 'truncate',
    table: { database: 'db', schema: 'public', table },
    position: position(lsn),
    record: coordinates(),
  };
}

const tombstone = (): Tombstone => ({ kind: 'tombstone', record: coordinates() });

/** Decodes "again" by copying the event its record came from, and counts the calls. */
function redecoder(events: readonly ChangeEvent[]) {
  const byOffset = new Map(events.map((event) => [event.record.offset, event]));
  const calls: string[] = [];
  const redecode = (record: { offset: string }): RowChange => {
    calls.push(record.offset);
    const event = byOffset.get(record.offset);
    assert.equal(event?.kind, 'row');
    return structuredClone(event);
  };
  return { redecode, calls };
}

/** planBatch as the pipeline calls it: the records decode again to copies of their events. */
function planBatch(
  events: readonly ChangeEvent[],
  router: Router,
  redecode = redecoder(events).redecode,
): Plan {
  return planWith(events, router, redecode);
}

function router(
  tables: TableOverrides = {},
  truncateMode: TruncateMode = 'ignore',
  sink: 'mongodb' | 'elasticsearch' = 'mongodb',
) {
  return new Router(
    {
      tables,
      defaults: { decimal: 'string', truncate: truncateMode },
      sinks: ['elasticsearch', 'mongodb'],
      elasticsearch: { indexPrefix: '' },
    },
    sink,
  );
}

/** The plan as compact text: "w[c:1@1 d:2@3] t(public.t) ...". */
function summary(plan: Plan): string {
  return plan.steps
    .map((step) =>
      step.kind === 'truncate'
        ? `t(${step.target})`
        : `w[${step.ops.map((op) => `${op.kind === 'delete' ? 'd' : 'u'}:${op.id}@${op.position}`).join(' ')}]`,
    )
    .join(' ');
}

function onlyOps(plan: Plan): SinkOp[] {
  assert.equal(plan.steps.length, 1);
  const step = plan.steps[0]!;
  assert.equal(step.kind, 'write');
  return [...step.ops];
}

function upsert(op: SinkOp | undefined): UpsertOp {
  assert.equal(op?.kind, 'upsert');
  return op;
}

describe('planBatch coalescing', () => {
  test('several changes of one key become the last one', () => {
    const events = [change('c', '1', 1n), change('u', '1', 2n), change('u', '1', 3n)];
    const plan = planBatch(events, router());
    const [op] = onlyOps(plan);
    assert.equal(summary(plan), 'w[u:1@3]');
    assert.equal(op?.event.record, events[2]!.record);
    assert.deepEqual(upsert(op).document, { id: '1', v: 3 });
    assert.equal(plan.skipped, 0);
  });

  test('insert then delete becomes the delete', () => {
    const events = [change('c', '1', 1n), change('d', '1', 2n)];
    const plan = planBatch(events, router());
    assert.equal(summary(plan), 'w[d:1@2]');
    assert.equal(onlyOps(plan)[0]?.event.record, events[1]!.record);
  });

  test('delete then insert becomes an upsert of the new row', () => {
    const plan = planBatch([change('d', '1', 1n), change('c', '1', 2n, { id: '1', v: 'new' })], router());
    assert.equal(summary(plan), 'w[u:1@2]');
    assert.deepEqual(upsert(onlyOps(plan)[0]).document, { id: '1', v: 'new' });
  });

  test('an update without after is a delete', () => {
    assert.equal(summary(planBatch([change('u', '1', 1n, null)], router())), 'w[d:1@1]');
  });

  test('different keys each keep their own last change, one operation per key', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n),
        change('c', '2', 2n),
        change('u', '1', 3n),
        change('d', '2', 4n),
        change('c', '3', 5n),
      ],
      router(),
    );
    assert.equal(summary(plan), 'w[u:1@3 d:2@4 u:3@5]');
  });

  test('the same id in two tables is two documents', () => {
    const plan = planBatch(
      [change('c', '1', 1n, undefined, { table: 'a' }), change('d', '1', 2n, null, { table: 'b' })],
      router(),
    );
    const ops = onlyOps(plan);
    assert.deepEqual(
      ops.map((op) => [op.target, op.kind]),
      [
        ['public.a', 'upsert'],
        ['public.b', 'delete'],
      ],
    );
  });

  test('operations carry the route target, the id and the exact 64-bit position', () => {
    const lsn = 2n ** 63n - 1n;
    const plan = planBatch([change('c', '42', lsn)], router({ 'public.t': { mongodbCollection: 'things' } }));
    const [op] = onlyOps(plan);
    assert.equal(op?.target, 'things');
    assert.equal(op?.id, '42');
    assert.equal(op?.position, lsn);
  });

  test('a snapshot read is written at the snapshot position, below every WAL position; a streamed change at its LSN', () => {
    const read: RowChange = { ...change('r', '1', 900n), position: { ...position(900n), snapshot: true } };
    const update = change('u', '2', 100n);
    const [readOp, updateOp] = onlyOps(planBatch([read, update], router()));
    assert.equal(readOp?.position, SNAPSHOT_POSITION);
    assert.equal(updateOp?.position, 100n);
    // Postgres never writes below 0/1000000 (its first WAL segment is not used): any LSN is above.
    assert.ok(SNAPSHOT_POSITION < 0x1000000n);
  });

  test('an operation standing for several changes keeps each of them, unmerged and in order', () => {
    const plan = planBatch(
      [change('c', '1', 1n), change('u', '2', 2n), change('d', '1', 3n), change('c', '1', 4n)],
      router(),
    );
    const [step] = plan.steps;
    assert.ok(step?.kind === 'write');
    const [one, two] = step.ops;
    assert.deepEqual(
      step.unfolded.get(one!)?.map((op) => `${op.kind}@${op.position}`),
      ['upsert@1', 'delete@3', 'upsert@4'],
    );
    assert.equal(step.unfolded.get(two!), undefined, 'a single change needs no unfolding');
  });

  test('an empty batch plans nothing', () => {
    assert.deepEqual(planBatch([], router()), { steps: [], skipped: 0 });
  });
});

describe('planBatch truncates', () => {
  test('delete mode: a truncate is a barrier between runs, nothing coalesces across it', () => {
    const events = [change('c', '1', 1n), change('c', '2', 2n), truncate(3n), change('u', '1', 4n)];
    const plan = planBatch(events, router({}, 'delete'));
    assert.equal(summary(plan), 'w[u:1@1 u:2@2] t(public.t) w[u:1@4]');
    const step = plan.steps[1];
    assert.equal(step?.kind === 'truncate' ? step.event : undefined, events[2]);
    assert.equal(plan.skipped, 0);
  });

  test('delete mode set per table', () => {
    const plan = planBatch(
      [change('c', '1', 1n), truncate(2n)],
      router({ 'public.t': { truncate: 'delete' } }),
    );
    assert.equal(summary(plan), 'w[u:1@1] t(public.t)');
  });

  test('ignore mode (the default): the truncate is skipped and counted, the run goes on', () => {
    const plan = planBatch([change('c', '1', 1n), truncate(2n), change('u', '1', 3n)], router());
    assert.equal(summary(plan), 'w[u:1@3]');
    assert.equal(plan.skipped, 1);
  });

  test('a truncate uses the table target of this sink', () => {
    const plan = planBatch(
      [truncate(1n)],
      router({ 'public.t': { mongodbCollection: 'T', truncate: 'delete' } }),
    );
    assert.equal(summary(plan), 't(T)');
  });
});

describe('planBatch skips', () => {
  test('tombstones are skipped and counted', () => {
    const plan = planBatch([change('d', '1', 1n), tombstone(), tombstone()], router());
    assert.equal(summary(plan), 'w[d:1@1]');
    assert.equal(plan.skipped, 2);
  });

  test('tables that do not go to this sink are skipped and counted, truncates included', () => {
    const tables = { 'public.es_only': { sinks: ['elasticsearch'], truncate: 'delete' } } as const;
    const plan = planBatch(
      [change('c', '1', 1n, undefined, { table: 'es_only' }), truncate(2n, 'es_only'), change('c', '2', 3n)],
      router(tables),
    );
    assert.equal(summary(plan), 'w[u:2@3]');
    assert.equal(plan.skipped, 2);
  });
});

describe('planBatch TOAST merge', () => {
  test('a later update with unchanged columns takes them from an earlier upsert of the same key', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n, { id: '1', body: 'long text', n: 1 }),
        change('u', '1', 2n, { id: '1', n: 2 }, { unchanged: ['body'] }),
      ],
      router(),
    );
    const op = upsert(onlyOps(plan)[0]);
    assert.deepEqual(op.document, { id: '1', n: 2, body: 'long text' });
    assert.deepEqual(op.unchangedColumns, []);
    assert.equal(op.position, 2n);
  });

  test('columns the earlier change did not know either stay listed', () => {
    const plan = planBatch(
      [
        change('u', '1', 1n, { id: '1', a: 'A', n: 1 }, { unchanged: ['b'] }),
        change('u', '1', 2n, { id: '1', n: 2 }, { unchanged: ['a', 'b'] }),
      ],
      router(),
    );
    const op = upsert(onlyOps(plan)[0]);
    assert.deepEqual(op.document, { id: '1', n: 2, a: 'A' });
    assert.deepEqual(op.unchangedColumns, ['b']);
  });

  test('a merged value that is null is kept as null, not as unknown', () => {
    const plan = planBatch(
      [change('c', '1', 1n, { id: '1', a: null }), change('u', '1', 2n, { id: '1' }, { unchanged: ['a'] })],
      router(),
    );
    const op = upsert(onlyOps(plan)[0]);
    assert.deepEqual(op.document, { id: '1', a: null });
    assert.deepEqual(op.unchangedColumns, []);
  });

  test('nothing is merged across a delete: the columns stay unknown', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n, { id: '1', a: 'old' }),
        change('d', '1', 2n),
        change('u', '1', 3n, { id: '1' }, { unchanged: ['a'] }),
      ],
      router(),
    );
    const op = upsert(onlyOps(plan)[0]);
    assert.deepEqual(op.document, { id: '1' });
    assert.deepEqual(op.unchangedColumns, ['a']);
  });

  test('nothing is merged across a truncate barrier', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n, { id: '1', a: 'old' }),
        truncate(2n),
        change('u', '1', 3n, { id: '1' }, { unchanged: ['a'] }),
      ],
      router({}, 'delete'),
    );
    const last = plan.steps[2];
    assert.equal(last?.kind, 'write');
    const op = upsert(last.kind === 'write' ? last.ops[0] : undefined);
    assert.deepEqual(op.unchangedColumns, ['a']);
    assert.ok(!('a' in op.document));
  });

  test('merged values are the sink representation (decimal mode applied once)', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n, { id: '1', price: new Decimal('1.50') }),
        change('u', '1', 2n, { id: '1' }, { unchanged: ['price'] }),
      ],
      router({ 'public.t': { decimal: 'double' } }),
    );
    assert.deepEqual(upsert(onlyOps(plan)[0]).document, { id: '1', price: 1.5 });
  });

  test('excluded columns are dropped from unchangedColumns (and from the document)', () => {
    const plan = planBatch(
      [change('u', '1', 1n, { id: '1', n: 1, secret: 's' }, { unchanged: ['blob', 'secret_blob'] })],
      router({ 'public.t': { excludeColumns: ['secret', 'secret_blob'] } }),
    );
    const op = upsert(onlyOps(plan)[0]);
    assert.deepEqual(op.document, { id: '1', n: 1 });
    assert.deepEqual(op.unchangedColumns, ['blob']);
  });

  test('with includeColumns only included columns stay in unchangedColumns', () => {
    const plan = planBatch(
      [change('u', '1', 1n, { id: '1' }, { unchanged: ['blob', 'other'] })],
      router({ 'public.t': { includeColumns: ['id', 'blob'] } }),
    );
    assert.deepEqual(upsert(onlyOps(plan)[0]).unchangedColumns, ['blob']);
  });
});

describe('planBatch properties', () => {
  type Gen =
    | { kind: 'row'; op: RowOp; key: string; unchanged: boolean }
    | { kind: 'truncate' }
    | { kind: 'tombstone' };
  const generated = fc.array(
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant('row' as const),
          op: fc.constantFrom<RowOp>('r', 'c', 'u', 'd'),
          key: fc.constantFrom('1', '2', '3', '4'),
          unchanged: fc.boolean(),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'truncate' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'tombstone' as const }) },
    ),
    { maxLength: 40 },
  );

  function build(items: Gen[]): ChangeEvent[] {
    let lsn = 0n;
    return items.map((item) => {
      lsn += 1n;
      if (item.kind === 'truncate') return truncate(lsn);
      if (item.kind === 'tombstone') return tombstone();
      const after: Row | null =
        item.op === 'd' ? null : item.unchanged ? { id: item.key } : { id: item.key, blob: `b${lsn}` };
      return change(item.op, item.key, lsn, after, { unchanged: item.unchanged && after ? ['blob'] : [] });
    });
  }

  for (const mode of ['delete', 'ignore'] as const) {
    test(`truncate ${mode}: per key, the last operation is the key's last event, and each run has a key at most once`, () => {
      fc.assert(
        fc.property(generated, (items) => {
          const events = build(items);
          const plan = planBatch(events, router({}, mode));
          // Last event per key, and per run between truncates (delete mode).
          const lastOfKey = new Map<string, RowChange>();
          for (const event of events) if (event.kind === 'row') lastOfKey.set(event.key.id, event);
          const lastOpOfKey = new Map<string, SinkOp>();
          for (const step of plan.steps) {
            if (step.kind !== 'write') continue;
            const ids = step.ops.map((op) => op.id);
            assert.equal(new Set(ids).size, ids.length, 'a key at most once per run');
            for (const op of step.ops) lastOpOfKey.set(op.id, op);
          }
          assert.deepEqual([...lastOpOfKey.keys()].sort(), [...lastOfKey.keys()].sort());
          for (const [key, event] of lastOfKey) {
            const op = lastOpOfKey.get(key)!;
            assert.equal(op.event.record, event.record);
            assert.equal(op.position, event.position.lsn);
            assert.equal(op.kind, event.op === 'd' ? 'delete' : 'upsert');
          }
          // Steps follow the batch order: positions never go back for a key, truncates stay in order.
          const truncates = events.filter((event) => event.kind === 'truncate');
          const planned = plan.steps.filter((step) => step.kind === 'truncate').map((step) => step.event);
          assert.deepEqual(planned, mode === 'delete' ? truncates : []);
          const tombstones = events.filter((event) => event.kind === 'tombstone').length;
          assert.equal(plan.skipped, tombstones + (mode === 'ignore' ? truncates.length : 0));
          // No empty write steps; every operation in a run is the last change of its key within that run.
          let run: RowChange[] = [];
          let stepIndex = 0;
          const checkRun = () => {
            if (run.length === 0) return;
            const step = plan.steps[stepIndex++];
            assert.equal(step?.kind, 'write');
            const lastInRun = new Map(run.map((event) => [event.key.id, event]));
            assert.deepEqual(
              step.kind === 'write' ? step.ops.map((op) => op.event.record) : [],
              [...new Set(run.map((event) => event.key.id))].map((id) => lastInRun.get(id)!.record),
            );
            run = [];
          };
          for (const event of events) {
            if (event.kind === 'row') run.push(event);
            else if (event.kind === 'truncate' && mode === 'delete') {
              checkRun();
              assert.equal(plan.steps[stepIndex++]?.kind, 'truncate');
            }
          }
          checkRun();
          assert.equal(stepIndex, plan.steps.length);
        }),
        { numRuns: 500 },
      );
    });
  }

  test('TOAST: a column is known exactly when a change since the last delete of the run carried it', () => {
    fc.assert(
      fc.property(generated, (items) => {
        const events = build(items);
        const plan = planBatch(events, router({}, 'delete'));
        // Expected per run: blob known for a key iff an upsert with it came after the key's last delete.
        const expected: Array<Map<string, string | null>> = [];
        let known = new Map<string, string | null>();
        const endRun = () => {
          if (known.size > 0) expected.push(known);
          known = new Map();
        };
        for (const event of events) {
          if (event.kind === 'truncate') endRun();
          if (event.kind !== 'row') continue;
          const blob = event.after?.blob;
          if (event.after === null) known.set(event.key.id, null);
          else if (typeof blob === 'string') known.set(event.key.id, blob);
          else known.set(event.key.id, known.get(event.key.id) ?? null);
        }
        endRun();
        const writes = plan.steps.filter((step) => step.kind === 'write');
        assert.equal(writes.length, expected.length);
        writes.forEach((step, index) => {
          for (const op of step.ops) {
            if (op.kind !== 'upsert') continue;
            const blob = expected[index]!.get(op.id);
            if (blob === null || blob === undefined) {
              assert.ok(!Object.hasOwn(op.document, 'blob'));
              const event = events.find((each) => each.record === op.event.record);
              assert.deepEqual(op.unchangedColumns, event?.kind === 'row' ? event.unchangedColumns : null);
            } else {
              assert.equal(op.document.blob, blob);
              assert.deepEqual(op.unchangedColumns, []);
            }
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('planBatch with several targets', () => {
  const targets: TableOverrides = {
    'public.t': {
      targets: [
        {
          sink: 'elasticsearch',
          index: 'slim',
          includeColumns: ['id', 'first_name'],
          rename: { first_name: 'firstName' },
        },
        { sink: 'elasticsearch', index: 'full', excludeColumns: ['secret'] },
        { sink: 'mongodb', collection: 'people' },
      ],
    },
  };
  const row = { id: '1', first_name: 'Ada', secret: 's', note: 'n' };

  test('one event becomes one operation per target of the sink, each with its own document', () => {
    const event = change('c', '1', 5n, row);
    const plan = planBatch([event], router(targets, 'ignore', 'elasticsearch'));
    const ops = onlyOps(plan).map(upsert);
    assert.deepEqual(
      ops.map((op) => [op.target, op.id, op.position, op.document]),
      [
        ['slim', '1', 5n, { id: '1', firstName: 'Ada' }],
        ['full', '1', 5n, { id: '1', first_name: 'Ada', note: 'n' }],
      ],
    );
    for (const op of ops) assert.equal(op.event.record, event.record);
    assert.deepEqual(ops[0]!.renames, new Map([['first_name', 'firstName']]));
    assert.equal(ops[1]!.renames, undefined);
    assert.equal(summary(planBatch([event], router(targets))), 'w[u:1@5]');
  });

  test('each target coalesces on its own and a delete goes to every target', () => {
    const plan = planBatch(
      [
        change('c', '1', 1n, row),
        change('u', '1', 2n, { ...row, first_name: 'Grace' }),
        change('d', '2', 3n),
      ],
      router(targets, 'ignore', 'elasticsearch'),
    );
    assert.deepEqual(
      onlyOps(plan).map((op) => `${op.target}:${op.kind}:${op.id}@${op.position}`),
      ['slim:upsert:1@2', 'full:upsert:1@2', 'slim:delete:2@3', 'full:delete:2@3'],
    );
  });

  test('a truncate in delete mode truncates every target', () => {
    const plan = planBatch(
      [change('c', '1', 1n, row), truncate(2n)],
      router({ 'public.t': { ...targets['public.t'], truncate: 'delete' } }, 'ignore', 'elasticsearch'),
    );
    assert.equal(summary(plan), 'w[u:1@1 u:1@1] t(slim) t(full)');
  });

  test('TOAST: unchanged columns are listed under their renamed field, and filled in from an earlier change', () => {
    const renamed: TableOverrides = { 'public.t': { rename: { first_name: 'firstName' } } };
    const toast = change('u', '1', 2n, { id: '1', note: 'n2' }, { unchanged: ['first_name'] });
    const alone = upsert(onlyOps(planBatch([toast], router(renamed)))[0]);
    assert.deepEqual(alone.unchangedColumns, ['firstName']);
    assert.deepEqual(alone.document, { id: '1', note: 'n2' });
    const merged = upsert(onlyOps(planBatch([change('c', '1', 1n, row), toast], router(renamed)))[0]);
    assert.deepEqual(merged.unchangedColumns, []);
    assert.deepEqual(merged.document, { id: '1', note: 'n2', firstName: 'Ada' });
  });

  test('a rename onto an existing column surfaces as a ConfigError from planning', () => {
    const clash: TableOverrides = { 'public.t': { rename: { first_name: 'note' } } };
    assert.throws(
      () => planBatch([change('c', '1', 1n, row)], router(clash)),
      /TABLES: table "public.t": mongodb target "public.t" renames column "first_name" to "note"/,
    );
  });
});

describe('planBatch with redecode: upserts that release their documents', () => {
  test("an operation keeps its event's table, position, record and column types, not its rows or key", () => {
    const event = change('u', '1', 5n, { id: '1', v: 5 });
    const [op] = onlyOps(planBatch([event], router(), redecoder([event]).redecode));
    assert.deepEqual(Object.keys(op!.event).sort(), ['columnTypes', 'position', 'record', 'table']);
    assert.equal(op!.event.position, event.position);
  });

  test('a released document is decoded again, equal to the first, by the route that made it', () => {
    const event = change('c', '1', 5n, { id: '1', first_name: 'Ada', tags: ['a', 'b'] });
    const events = [event];
    const { redecode, calls } = redecoder(events);
    const plan = planBatch(events, router({ 'public.t': { rename: { first_name: 'firstName' } } }), redecode);
    const op = upsert(onlyOps(plan)[0]);
    const first = op.document;
    assert.deepEqual(first, { id: '1', firstName: 'Ada', tags: ['a', 'b'] });
    assert.deepEqual(calls, [], 'not decoded again while held');
    op.release?.();
    assert.deepEqual(op.document, first);
    assert.notEqual(op.document, first, 'a new document, from the record');
    assert.deepEqual(calls, [event.record.offset]);
    assert.equal(op.document, op.document, 'decoded once per release');
  });

  test('a superseded change is released and its own document decoded again; the last is held', () => {
    const events = [change('c', '1', 1n), change('u', '1', 2n), change('u', '1', 3n)];
    const { redecode, calls } = redecoder(events);
    const plan = planBatch(events, router(), redecode);
    const step = plan.steps[0]!;
    assert.equal(step.kind, 'write');
    const [last] = step.ops;
    const parts = step.unfolded.get(last!)!;
    assert.deepEqual(upsert(last).document, { id: '1', v: 3 });
    assert.deepEqual(calls, []);
    assert.deepEqual(
      parts.map((part) => upsert(part).document),
      [
        { id: '1', v: 1 },
        { id: '1', v: 2 },
        { id: '1', v: 3 },
      ],
    );
    assert.deepEqual(calls, [events[0]!.record.offset, events[1]!.record.offset]);
  });

  test('a TOAST merge is a plain operation holding the merged document; the changes it merged are released', () => {
    const events = [
      change('c', '1', 1n, { id: '1', blob: 'big', v: 1 }),
      change('u', '1', 2n, { id: '1', v: 2 }, { unchanged: ['blob'] }),
    ];
    const { redecode, calls } = redecoder(events);
    const step = planBatch(events, router(), redecode).steps[0]!;
    assert.equal(step.kind, 'write');
    const op = upsert(step.ops[0]);
    assert.equal(op.release, undefined, "the merged document is not any one record's");
    assert.deepEqual(op.document, { id: '1', v: 2, blob: 'big' });
    assert.deepEqual(op.unchangedColumns, []);
    assert.deepEqual(calls, []);
    assert.deepEqual(
      step.unfolded.get(op)!.map((part) => upsert(part).document),
      [
        { id: '1', blob: 'big', v: 1 },
        { id: '1', v: 2 },
      ],
    );
    assert.deepEqual(calls, [events[0]!.record.offset, events[1]!.record.offset]);
  });

  test('a record that decodes to no row the second time fails loudly, naming it', () => {
    const event = change('c', '1', 5n);
    const op = upsert(onlyOps(planBatch([event], router(), () => ({ ...event, op: 'd', after: null })))[0]);
    op.release?.();
    assert.throws(
      () => op.document,
      new RegExp(`cdc\\.public\\.t/0@${event.record.offset} decoded without its row`),
    );
  });
});
