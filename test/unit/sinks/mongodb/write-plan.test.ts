// Compare-and-set planning: what each operation writes given the stored state of its id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowChange } from '../../../../src/decoder/types.js';
import { SNAPSHOT_POSITION, type SinkOp } from '../../../../src/sinks/sink.js';
import { StoredFields } from '../../../../src/sinks/mongodb/stored-form.js';
import {
  planGuardedWrite,
  planWrite,
  readStored,
  storedBefore,
  type UpsertFields,
} from '../../../../src/sinks/mongodb/write-plan.js';

const now = new Date('2026-01-01T00:00:00Z');
const upsertOp: SinkOp = {
  kind: 'upsert',
  target: 't',
  id: 'k',
  position: 10n,
  document: { v: 1 },
  unchangedColumns: [],
  event: {} as RowChange,
};
const deleteOp: SinkOp = { kind: 'delete', target: 't', id: 'k', position: 10n, event: {} as RowChange };
const full: UpsertFields = { fields: new StoredFields({ v: 1 }, '_cdc_lsn', 10n), partial: false };

describe('planWrite', () => {
  test('a stored position at or above the event is stale, for upserts and deletes, without reading the fields', () => {
    const unread = () => assert.fail('a stale write read its document');
    for (const stored of [10n, 11n]) {
      assert.deepEqual(planWrite(upsertOp, readStored(stored), unread, '_cdc_lsn', now), { kind: 'stale' });
      assert.deepEqual(planWrite(deleteOp, readStored(stored), unread, '_cdc_lsn', now), { kind: 'stale' });
    }
  });

  test('an older stored position is replaced on exactly that position, upserting', () => {
    assert.deepEqual(
      planWrite(upsertOp, readStored(9n), () => full, '_cdc_lsn', now),
      {
        kind: 'write',
        statement: { q: { _id: 'k', _cdc_lsn: 9n }, u: full.fields, upsert: true },
      },
    );
  });

  test('no document, or one without a position, is matched as a null position', () => {
    for (const stored of [undefined, readStored(undefined)]) {
      const planned = planWrite(upsertOp, stored, () => full, '_cdc_lsn', now);
      assert.ok(planned.kind === 'write');
      assert.deepEqual(planned.statement.q, { _id: 'k', _cdc_lsn: null });
    }
  });

  test('a position stored as a plain number (written by hand) still guards, matched as stored', () => {
    assert.deepEqual(
      planWrite(upsertOp, readStored(12), () => full, '_cdc_lsn', now),
      { kind: 'stale' },
    );
    const planned = planWrite(upsertOp, readStored(3), () => full, '_cdc_lsn', now);
    assert.ok(planned.kind === 'write');
    assert.deepEqual(planned.statement.q, { _id: 'k', _cdc_lsn: 3 });
  });

  test('a delete replaces the document with a tombstone holding its position', () => {
    assert.deepEqual(
      planWrite(deleteOp, readStored(9n), () => null, '_cdc_lsn', now),
      {
        kind: 'write',
        statement: {
          q: { _id: 'k', _cdc_lsn: 9n },
          u: { _cdc_lsn: 10n, _cdc_deleted: true, _cdc_deleted_at: now },
          upsert: true,
        },
      },
    );
  });

  test('a partial update (unchanged TOAST columns) sets its fields and clears a tombstone', () => {
    const partial: UpsertFields = { fields: new StoredFields({ v: 2 }, '_cdc_lsn', 10n), partial: true };
    assert.deepEqual(
      planWrite(upsertOp, readStored(9n), () => partial, '_cdc_lsn', now),
      {
        kind: 'write',
        statement: {
          q: { _id: 'k', _cdc_lsn: 9n },
          u: { $set: partial.fields, $unset: { _cdc_deleted: true, _cdc_deleted_at: true } },
          upsert: true,
        },
      },
    );
  });
});

describe('planGuardedWrite', () => {
  test('an upsert replaces whatever is stored before its position, upserting', () => {
    assert.deepEqual(planGuardedWrite(upsertOp, full, '_cdc_lsn', now), {
      q: { _id: 'k', _cdc_lsn: { $not: { $gte: 10n } } },
      u: full.fields,
      upsert: true,
    });
  });

  test('a snapshot read also replaces what an earlier snapshot wrote at the same position', () => {
    const snapshot: SinkOp = { ...upsertOp, position: SNAPSHOT_POSITION };
    const statement = planGuardedWrite(snapshot, full, '_cdc_lsn', now);
    assert.deepEqual(statement.q, { _id: 'k', _cdc_lsn: { $not: { $gt: SNAPSHOT_POSITION } } });
  });

  test('a delete leaves a tombstone under the same guard; a partial update sets its fields and clears a tombstone', () => {
    assert.deepEqual(planGuardedWrite(deleteOp, null, '_cdc_lsn', now), {
      q: { _id: 'k', _cdc_lsn: { $not: { $gte: 10n } } },
      u: { _cdc_lsn: 10n, _cdc_deleted: true, _cdc_deleted_at: now },
      upsert: true,
    });
    const partial: UpsertFields = { fields: full.fields, partial: true };
    assert.deepEqual(planGuardedWrite(upsertOp, partial, '_cdc_lsn', now), {
      q: { _id: 'k', _cdc_lsn: { $not: { $gte: 10n } } },
      u: { $set: full.fields, $unset: { _cdc_deleted: true, _cdc_deleted_at: true } },
      upsert: true,
    });
  });

  test('its guard matches exactly the stored positions planWrite would write over', () => {
    for (const position of [10n, SNAPSHOT_POSITION]) {
      const op: SinkOp = { ...upsertOp, position };
      const [operator, bound] = Object.entries(
        (storedBefore(position) as { $not: Record<string, bigint> }).$not,
      )[0]!;
      for (const stored of [position - 1n, position, position + 1n]) {
        const refused = operator === '$gte' ? stored >= bound : stored > bound;
        assert.equal(
          planWrite(op, readStored(stored), () => full, '_cdc_lsn', now).kind === 'stale',
          refused,
        );
      }
    }
  });
});
