import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  nextShadowVersion,
  parseState,
  reindexRoutes,
  shadowName,
  type MongoReindexState,
} from '../../../src/reindex/mongodb-state.js';

describe('MongoDB reindex state', () => {
  const state: MongoReindexState = {
    _id: 'inventory.customers',
    phase: 'backfill',
    shadow: 'inventory.customers_v2',
    version: 2,
    createdAtMs: 1_700_000_000_000,
  };

  test('a record round-trips, cursor and counts included', () => {
    assert.deepEqual(parseState({ ...state }), state);
    const later = {
      ...state,
      phase: 'switched',
      pausedAtMs: 4,
      switchedAtMs: 5,
      backfilledRows: 10,
      cursor: ['7', 'a,b'],
    };
    assert.deepEqual(parseState(later), later);
  });

  test('an unreadable record is undefined, and an empty cursor is left out', () => {
    assert.equal(parseState(null), undefined);
    assert.equal(parseState({ ...state, phase: 'renaming' }), undefined);
    assert.equal(parseState({ ...state, shadow: 3 }), undefined);
    assert.equal(parseState({ ...state, version: '2' }), undefined);
    assert.deepEqual(parseState({ ...state, cursor: [] }), state);
  });

  test('instances write to the shadow during backfill and verify, hold back while pausing', () => {
    const records = (['backfill', 'verify', 'pausing', 'switched', 'done'] as const).map((phase, at) => ({
      ...state,
      _id: `s.t${at}`,
      shadow: `s.t${at}_v1`,
      phase,
    }));
    assert.deepEqual(
      reindexRoutes([...records, { _id: 'broken' }]),
      new Map([
        ['s.t0', { shadow: 's.t0_v1', paused: false }],
        ['s.t1', { shadow: 's.t1_v1', paused: false }],
        ['s.t2', { shadow: 's.t2_v1', paused: true }],
      ]),
    );
  });

  test('the next version is above every <name>_v<N> collection and the recorded one', () => {
    assert.equal(shadowName('s.t', 3), 's.t_v3');
    assert.equal(nextShadowVersion('s.t', []), 1);
    assert.equal(nextShadowVersion('s.t', ['s.t', 's.t_v1', 's.t_v12', 's.t_v0', 's.t_vx', 's.tt_v40']), 13);
    assert.equal(nextShadowVersion('s.t', ['s.t'], 4), 5);
  });
});
