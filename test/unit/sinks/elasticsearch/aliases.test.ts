import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PermanentSinkError, TransientSinkError } from '../../../../src/errors.js';
import {
  combineResults,
  nextVersion,
  reindexAlias,
  reindexTargets,
  switchActions,
  versionedIndex,
} from '../../../../src/sinks/elasticsearch/aliases.js';

describe('reindex alias plans', () => {
  test('the next version follows the highest <name>-v<N>, ignoring look-alikes', () => {
    assert.equal(nextVersion('shop.orders', []), 1);
    assert.equal(nextVersion('shop.orders', ['shop.orders']), 1);
    assert.equal(
      nextVersion('shop.orders', [
        'shop.orders-v1',
        'shop.orders-v10',
        'shop.orders-v2',
        'shop.orders-values',
      ]),
      11,
    );
    assert.equal(nextVersion('shop.orders', ['shop.orders-v01', 'shop.orders-v', 'shop.orders-v3x']), 1);
    assert.equal(nextVersion('a', ['b-v7']), 1);
    assert.equal(versionedIndex('shop.orders', 3), 'shop.orders-v3');
  });

  test('reindex targets come from the reindex aliases only', () => {
    assert.deepEqual(
      reindexTargets([
        { alias: 'p-inventory.customers-reindex' },
        { alias: '-reindex' },
        { alias: 'p-inventory.orders' },
        {},
      ]),
      new Map([['p-inventory.customers', 'p-inventory.customers-reindex']]),
    );
    assert.equal(reindexAlias('x'), 'x-reindex');
  });

  test('switching an alias-fronted index moves the alias and drops the reindex alias in one call', () => {
    assert.deepEqual(switchActions('t', 't-v2', ['t-v1'], false), [
      { remove: { index: 't-v1', alias: 't' } },
      { add: { index: 't-v2', alias: 't', is_write_index: true } },
      { remove: { index: 't-v2', alias: 't-reindex' } },
    ]);
  });

  test('switching a plain index deletes it in the same call that gives its name to the alias', () => {
    assert.deepEqual(switchActions('t', 't-v1', [], true), [
      { remove_index: { index: 't' } },
      { add: { index: 't-v1', alias: 't', is_write_index: true } },
      { remove: { index: 't-v1', alias: 't-reindex' } },
    ]);
  });

  test('a dual write succeeds only when both writes do, and a transient failure is retried', () => {
    const transient = { status: 'failed', error: new TransientSinkError('busy') } as const;
    const permanent = { status: 'failed', error: new PermanentSinkError('refused') } as const;
    const written = { status: 'written' } as const;
    const stale = { status: 'stale' } as const;
    assert.deepEqual(combineResults(written, written), written);
    assert.deepEqual(combineResults(stale, written), written);
    assert.deepEqual(combineResults(stale, stale), stale);
    assert.equal(combineResults(written, transient), transient);
    assert.equal(combineResults(permanent, stale), permanent);
    assert.equal(combineResults(permanent, transient), transient);
    assert.equal(combineResults(transient, permanent), transient);
  });
});
