import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_STATEMENTS_PER_COMMAND,
  commandRuns,
  readUpdateReply,
  statementOf,
} from '../../../../src/sinks/mongodb/update-command.js';

describe('statementOf', () => {
  test('a replacement and a partial update, as the driver would send them', () => {
    const filter = { _id: '1', p: null };
    assert.deepEqual(statementOf({ replaceOne: { filter, replacement: { a: 1 }, upsert: true } }), {
      q: filter,
      u: { a: 1 },
      upsert: true,
    });
    const update = { $set: { a: 1 }, $unset: { b: true as const } };
    assert.deepEqual(statementOf({ updateOne: { filter, update, upsert: true } }), {
      q: filter,
      u: update,
      upsert: true,
    });
  });

  test('anything else is a bug, said at once', () => {
    assert.throws(() => statementOf({ deleteOne: { filter: { _id: '1' } } }), /deleteOne/);
  });
});

describe('commandRuns', () => {
  test('one run while the statements fit, in order, each element counted with its overhead', () => {
    assert.deepEqual(commandRuns([10, 20, 30], 1000), [[0, 3]]);
    assert.deepEqual(commandRuns([], 1000), []);
    // 40 + 9 and 40 + 9 fit in 100; a third does not.
    assert.deepEqual(commandRuns([40, 40, 40, 40, 40], 100), [
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
  });

  test('a statement as large as the limit gets a run of its own', () => {
    assert.deepEqual(commandRuns([5, 95, 5], 100), [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  test('no run holds more statements than a write command may', () => {
    const runs = commandRuns(new Array<number>(MAX_STATEMENTS_PER_COMMAND + 1).fill(1), Infinity);
    assert.deepEqual(runs, [
      [0, MAX_STATEMENTS_PER_COMMAND],
      [MAX_STATEMENTS_PER_COMMAND, MAX_STATEMENTS_PER_COMMAND + 1],
    ]);
  });
});

describe('readUpdateReply', () => {
  test('the count and the write errors by index', () => {
    assert.deepEqual(
      readUpdateReply(
        { ok: 1, n: 2, writeErrors: [{ index: 1, code: 11000, errmsg: 'E11000 dup' }], upserted: [] },
        3,
      ),
      {
        succeeded: 2,
        writeErrors: [{ index: 1, code: 11000, errmsg: 'E11000 dup' }],
        writeConcernError: null,
      },
    );
    assert.deepEqual(readUpdateReply({ ok: 1, n: 0 }, 0), {
      succeeded: 0,
      writeErrors: [],
      writeConcernError: null,
    });
  });

  test("an error without code or message is still that statement's", () => {
    assert.deepEqual(readUpdateReply({ ok: 1, n: 0, writeErrors: [{ index: 0 }] }, 1).writeErrors, [
      { index: 0, code: undefined, errmsg: '' },
    ]);
  });

  test('a write concern error is reported, so that nothing of the command counts as lasting', () => {
    assert.equal(
      readUpdateReply(
        { ok: 1, n: 1, writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' } },
        1,
      ).writeConcernError,
      'write concern error 64: waiting for replication timed out',
    );
  });

  test('a reply that makes no sense throws (the sink then retries the whole command)', () => {
    assert.throws(() => readUpdateReply({ ok: 1 }, 1), /no count/);
    assert.throws(() => readUpdateReply({ ok: 1, n: -1 }, 1), /no count/);
    assert.throws(() => readUpdateReply({ ok: 1, n: 0, writeErrors: {} }, 1), /not a list/);
    assert.throws(() => readUpdateReply({ ok: 1, n: 0, writeErrors: [{ index: 3 }] }, 2), /index 3 of 2/);
  });
});
