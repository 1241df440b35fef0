import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '@elastic/elasticsearch';
import { classifyItem, classifyRequestError } from '../../../../src/sinks/elasticsearch/classify.js';
import { PermanentSinkError, SinkAccessError, TransientSinkError } from '../../../../src/errors.js';

function responseError(
  statusCode: number,
  body: unknown = { error: { type: 'some_exception', reason: 'r' } },
) {
  return new errors.ResponseError({
    body,
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

describe('classifyItem (one bulk item)', () => {
  test('429 and 5xx are transient', () => {
    for (const status of [429, 500, 502, 503, 504]) {
      const error = classifyItem(status, { type: 'es_rejected_execution_exception', reason: 'queue full' });
      assert.ok(error instanceof TransientSinkError, String(status));
      assert.equal(error.retriable, true);
      assert.match(error.message, new RegExp(`item ${status} es_rejected_execution_exception: queue full`));
    }
  });

  test('400 (mapping rejection), 404 and 409 are permanent for the document', () => {
    for (const status of [400, 404, 409, 413]) {
      const error = classifyItem(status, { type: 'mapper_parsing_exception', reason: 'failed to parse' });
      assert.ok(error instanceof PermanentSinkError, String(status));
      assert.equal(error.retriable, false);
      assert.match(
        error.message,
        new RegExp(`rejected the document \\(${status}\\) mapper_parsing_exception`),
      );
    }
  });

  test('the cause is named, and a missing error body falls back to the status', () => {
    const error = classifyItem(400, {
      type: 'mapper_parsing_exception',
      reason: 'failed to parse field [n]',
      caused_by: { type: 'number_format_exception', reason: 'For input string: "x"' },
    });
    assert.match(error.message, /\(number_format_exception: For input string: "x"\)/);
    assert.match(classifyItem(400, undefined).message, /status 400/);
    assert.ok(classifyItem(503, undefined) instanceof TransientSinkError);
    assert.match(classifyItem(400, {}).message, /error: /);
  });
});

describe('classifyRequestError (a whole request)', () => {
  test('ResponseError 429, 5xx and no status are transient', () => {
    for (const status of [429, 500, 503]) {
      const error = classifyRequestError(responseError(status));
      assert.ok(error instanceof TransientSinkError, String(status));
      assert.match(error.message, new RegExp(`answered ${status}: some_exception`));
      assert.ok(error.cause instanceof errors.ResponseError);
    }
    assert.ok(classifyRequestError(responseError(0)) instanceof TransientSinkError);
  });

  test('ResponseError 401, 403 and 407 are an outage (credentials or permissions): transient and named', () => {
    for (const status of [401, 403, 407]) {
      const error = classifyRequestError(responseError(status));
      assert.ok(error instanceof SinkAccessError, String(status));
      assert.equal(error.retriable, true);
      assert.match(error.message, new RegExp(`refused access \\(${status}\\)`));
      assert.match(error.message, /ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/);
    }
  });

  test('ResponseError 408 (request timeout) is transient', () => {
    assert.ok(classifyRequestError(responseError(408)) instanceof TransientSinkError);
  });

  test('ResponseError 400, 404 and 409 are permanent', () => {
    for (const status of [400, 404, 409]) {
      const error = classifyRequestError(responseError(status));
      assert.ok(error instanceof PermanentSinkError, String(status));
      assert.match(error.message, new RegExp(`refused the request \\(${status}\\)`));
    }
  });

  test('connection, timeout and no-living-connection errors are transient', () => {
    const cases = [
      new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'),
      new errors.TimeoutError('Request timed out'),
      new errors.NoLivingConnectionsError('There are no living connections', {} as never),
      new errors.ProductNotSupportedError('elasticsearch', {} as never),
    ];
    for (const cause of cases) {
      const error = classifyRequestError(cause);
      assert.ok(error instanceof TransientSinkError, cause.name);
      assert.match(error.message, new RegExp(`^elasticsearch unreachable: ${cause.name}: `));
      assert.equal(error.cause, cause);
    }
  });

  test('anything else thrown is transient too (retrying is the safe default)', () => {
    assert.ok(classifyRequestError(new Error('socket hang up')) instanceof TransientSinkError);
    assert.match(classifyRequestError('weird').message, /unreachable: weird/);
  });
});
