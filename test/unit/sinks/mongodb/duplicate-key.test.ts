import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDuplicateOnId } from '../../../../src/sinks/mongodb/duplicate-key.js';

test('a duplicate on _id or on the sink own position index is a lost race; on any other index it is not', () => {
  const message = (index: string) =>
    `E11000 duplicate key error collection: db.c index: ${index} dup key: { x: 1 }`;
  assert.equal(isDuplicateOnId(message('_id_')), true);
  assert.equal(isDuplicateOnId(message('_cdc_position')), true);
  assert.equal(isDuplicateOnId(message('email_1')), false);
  // FerretDB names no index: _id is the one unique index the sink creates writes against.
  assert.equal(isDuplicateOnId('E11000 duplicate key error'), true);
});
