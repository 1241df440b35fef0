import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import {
  DUPLICATE_KEY,
  classifyRequestError,
  classifyWriteError,
} from '../../../../src/sinks/mongodb/classify.js';
import { PermanentSinkError, SinkAccessError, TransientSinkError } from '../../../../src/errors.js';

describe('classifyWriteError (one document)', () => {
  test('election, shutdown, timeout and write-conflict codes are transient', () => {
    // HostUnreachable, HostNotFound, ExceededTimeLimit, WriteConcernFailed, NetworkTimeout,
    // ShutdownInProgress, WriteConflict, PrimarySteppedDown, NotWritablePrimary, NotPrimaryNoSecondaryOk.
    for (const code of [6, 7, 50, 64, 89, 91, 112, 189, 10107, 11600, 11602, 13435, 13436]) {
      const error = classifyWriteError(code, 'not primary');
      assert.ok(error instanceof TransientSinkError, String(code));
      assert.equal(error.message, `mongodb write error ${code}: not primary`);
    }
  });

  test('other codes, and no code, are permanent for the document', () => {
    // DocumentTooLarge-ish (10334), invalid field names (52, 2), duplicate key (11000) is handled by the sink.
    for (const code of [2, 52, 10334, 17419, 121, DUPLICATE_KEY]) {
      const error = classifyWriteError(code, 'rejected');
      assert.ok(error instanceof PermanentSinkError, String(code));
      assert.equal(error.message, `mongodb rejected the document (${code}): rejected`);
    }
    assert.equal(
      classifyWriteError(undefined, 'odd').message,
      'mongodb rejected the document (no code): odd',
    );
    assert.ok(classifyWriteError(undefined, 'odd') instanceof PermanentSinkError);
  });

  test('DUPLICATE_KEY is 11000 (the version guard relies on it)', () => {
    assert.equal(DUPLICATE_KEY, 11000);
  });
});

describe('classifyRequestError (a whole request)', () => {
  test('network and server-selection errors are transient "unreachable"', () => {
    const cases = [
      new MongoNetworkError('connection reset'),
      new MongoNetworkTimeoutError('timed out'),
      new MongoServerSelectionError('Server selection timed out', {} as never),
    ];
    for (const cause of cases) {
      const error = classifyRequestError(cause);
      assert.ok(error instanceof TransientSinkError, cause.name);
      assert.match(error.message, /^mongodb unreachable: /);
      assert.equal(error.cause, cause);
    }
  });

  test('any other failure of a whole request is retried, never skipped', () => {
    const server = new MongoServerError({ message: 'interrupted', code: 11601 });
    for (const cause of [server, new Error('boom'), 'text']) {
      const error = classifyRequestError(cause);
      assert.ok(error instanceof TransientSinkError);
      assert.match(error.message, /^mongodb request failed: /);
    }
    assert.match(classifyRequestError(server).message, /MongoServerError: interrupted/);
  });
});

describe('MongoDB access failures', () => {
  test('Unauthorized (13) and AuthenticationFailed (18) are an outage of the sink, never a bad document', () => {
    for (const code of [13, 18]) {
      const written = classifyWriteError(code, 'not authorized on cdc to execute command');
      assert.ok(written instanceof SinkAccessError, String(code));
      assert.equal(written.retriable, true);
      assert.match(written.message, /refused access .*check the credentials in MONGODB_URL/);
      const request = classifyRequestError(Object.assign(new Error('Authentication failed.'), { code }));
      assert.ok(request instanceof SinkAccessError, String(code));
    }
  });
});
