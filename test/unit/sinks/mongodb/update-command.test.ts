import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BSON } from 'mongodb';
// The driver's own OP_MSG encoder: what goes on the wire is checked, not only what the sink builds.
import { OpMsgRequest } from 'mongodb/lib/cmap/commands.js';
import {
  MAX_STATEMENTS_PER_COMMAND,
  commandRuns,
  encodeStatement,
  readUpdateReply,
  updateCommand,
} from '../../../../src/sinks/mongodb/update-command.js';

describe('encodeStatement and updateCommand', () => {
  const statements = [
    {
      q: { _id: '1', p: { $not: { $gte: 7n } } },
      u: { _id: '1', 'a.b': 'é', $x: undefined, p: 7n },
      upsert: true,
    },
    { q: { _id: '2', p: null }, u: { $set: { n: 1.5 }, $unset: { d: true } }, upsert: true },
  ] as const;

  test('a statement is encoded as the driver encodes a command: undefined as null, keys as they are', () => {
    const bytes = encodeStatement(statements[0]);
    assert.deepEqual(BSON.deserialize(bytes, { useBigInt64: true }), {
      q: { _id: '1', p: { $not: { $gte: 7n } } },
      u: { _id: '1', 'a.b': 'é', $x: null, p: 7n },
      upsert: true,
    });
  });

  test('the driver sends the encoded statements as they are, as an "updates" document sequence', () => {
    const encoded = statements.map((statement) => ({ bytes: encodeStatement(statement) }));
    const wire = Buffer.concat(new OpMsgRequest('db', updateCommand('c', encoded), {}).toBin());
    let at = 16 + 4; // message header, flags
    assert.equal(wire[at++], 0, 'the command body first (payload type 0)');
    const bodyLength = wire.readInt32LE(at);
    const body = BSON.deserialize(wire.subarray(at, at + bodyLength));
    assert.deepEqual(body, { update: 'c', ordered: false, $db: 'db' }, 'no updates array in the body');
    at += bodyLength;
    assert.equal(wire[at++], 1, 'then a document sequence (payload type 1)');
    const sectionEnd = at + wire.readInt32LE(at);
    const nameEnd = wire.indexOf(0, at + 4);
    assert.equal(wire.toString('utf8', at + 4, nameEnd), 'updates');
    assert.deepEqual(
      wire.subarray(nameEnd + 1, sectionEnd),
      Buffer.concat(encoded.map(({ bytes }) => bytes)),
      'the statements byte for byte, in order',
    );
    assert.equal(sectionEnd, wire.length, 'nothing else');
  });
});

describe('commandRuns', () => {
  test('one run while the statements fit, in order, a run filled up to the limit exactly', () => {
    assert.deepEqual(commandRuns([10, 20, 30], 1000), [[0, 3]]);
    assert.deepEqual(commandRuns([], 1000), []);
    assert.deepEqual(commandRuns([50, 50, 50], 100), [
      [0, 2],
      [2, 3],
    ]);
    assert.deepEqual(commandRuns([40, 40, 40, 40, 40], 100), [
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
  });

  test('a statement as large as the limit gets a run of its own', () => {
    assert.deepEqual(commandRuns([5, 100, 5], 100), [
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
