import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tableRef } from '../../../src/decoder/table-refs.js';

describe('tableRef', () => {
  test('events of one table share one frozen reference; other names get their own', () => {
    // Strings made apart, as JSON.parse makes them for each message.
    const parsed = () => JSON.parse('["inventory","inventory","orders"]') as [string, string, string];
    const first = tableRef(...parsed());
    assert.equal(tableRef(...parsed()), first);
    assert.deepEqual(first, { database: 'inventory', schema: 'inventory', table: 'orders' });
    assert.ok(Object.isFrozen(first));
    for (const other of [
      tableRef('inventory', 'inventory', 'customers'),
      tableRef('inventory', 'public', 'orders'),
      tableRef('other', 'inventory', 'orders'),
    ]) {
      assert.notEqual(other, first);
    }
    assert.deepEqual(tableRef('other', 'inventory', 'orders'), {
      database: 'other',
      schema: 'inventory',
      table: 'orders',
    });
  });

  test('past the bound, a new table still gets a right reference, only not a remembered one', () => {
    for (let i = 0; i < 5000; i++) tableRef('db', 'schema', `t${i}`);
    const late = tableRef('db', 'schema', 'late');
    assert.deepEqual(late, { database: 'db', schema: 'schema', table: 'late' });
    assert.notEqual(tableRef('db', 'schema', 'late'), late);
    assert.equal(tableRef('db', 'schema', 't0'), tableRef('db', 'schema', 't0'), 'the first ones stay');
  });
});
