import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REINDEX_META, stateIn, withState, type ReindexState } from '../../../src/reindex/state.js';

describe('reindex state in _meta', () => {
  const state: ReindexState = {
    phase: 'backfill',
    alias: 'p-inventory.customers',
    previous: ['p-inventory.customers-v1'],
    createdAtMs: 1_700_000_000_000,
  };

  test('round-trips beside the other _meta keys, which are kept', () => {
    const truncate = { position: '123', commit_ts_ms: 5 };
    const meta = withState({ cdc_fanout_truncate: truncate }, state);
    assert.deepEqual(meta.cdc_fanout_truncate, truncate);
    assert.deepEqual(stateIn(JSON.parse(JSON.stringify(meta))), state);
    const switched = {
      ...state,
      phase: 'switched',
      switchedAtMs: 2,
      backfilledRows: 10,
      cursor: ['7', 'a,b'],
    } as const;
    assert.deepEqual(stateIn(withState(meta, switched)), switched);
  });

  test('no state, or an unreadable one, is undefined', () => {
    assert.equal(stateIn(undefined), undefined);
    assert.equal(stateIn({}), undefined);
    assert.equal(stateIn({ [REINDEX_META]: { ...state, phase: 'copying' } }), undefined);
    assert.equal(stateIn({ [REINDEX_META]: { ...state, previous: 'x' } }), undefined);
    assert.equal(stateIn({ [REINDEX_META]: { ...state, createdAtMs: '1' } }), undefined);
    // A cursor that is not a key is dropped: the backfill starts over, which is always safe.
    assert.deepEqual(stateIn({ [REINDEX_META]: { ...state, cursor: [1] } }), state);
  });
});
