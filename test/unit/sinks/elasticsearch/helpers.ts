// What the Elasticsearch sink's unit tests share: the sink on a fake client (settings that do not
// matter to them fixed once, so each test names only what it is about) and the error the client
// throws for a request the node answered with an error status.
import { errors, type Client } from '@elastic/elasticsearch';
import pino from 'pino';
import {
  ElasticsearchSink,
  type ElasticsearchSinkOptions,
} from '../../../../src/sinks/elasticsearch/sink.js';

/** An ElasticsearchSink on `client`, a fake with just the part of the client the test needs. */
export function fakeSink(client: object, options: Partial<ElasticsearchSinkOptions> = {}): ElasticsearchSink {
  return new ElasticsearchSink(client as Client, {
    url: 'http://fake:9200',
    username: '',
    password: '',
    apiKey: '',
    requestTimeoutMs: 1000,
    gcDeletes: '1h',
    bulkMaxBytes: 8 * 1024 * 1024,
    reindexDiscoveryMs: 5000,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** What the client throws when the node answers `statusCode` with `body`. */
export function clientError(statusCode: number, body: unknown = ''): errors.ResponseError {
  return new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never });
}
