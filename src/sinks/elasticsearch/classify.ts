// Sorts Elasticsearch failures into the pipeline's two decisions. Whole-request failures
// (connection, timeout, 401/403, 429, 5xx) are transient: they say nothing about the documents.
// A bulk item's 4xx is permanent for that document, and so is a whole request the server refuses
// as malformed (400, 404, 409, 413): sending the same bytes again cannot succeed.
import { errors } from '@elastic/elasticsearch';
import {
  PermanentSinkError,
  SinkAccessError,
  TransientSinkError,
  type CdcFanoutError,
} from '../../errors.js';

export interface BulkItemError {
  readonly type?: string;
  readonly reason?: string;
  readonly caused_by?: { readonly type?: string; readonly reason?: string };
}

export function classifyItem(status: number, error: BulkItemError | undefined): CdcFanoutError {
  const detail = error
    ? `${error.type ?? 'error'}: ${error.reason ?? ''}${error.caused_by ? ` (${error.caused_by.type}: ${error.caused_by.reason})` : ''}`
    : `status ${status}`;
  if (status === 429 || status >= 500)
    return new TransientSinkError(`elasticsearch item ${status} ${detail}`);
  return new PermanentSinkError(`elasticsearch rejected the document (${status}) ${detail}`);
}

/** Unauthenticated, forbidden, proxy authentication required. */
const ACCESS_DENIED = new Set([401, 403, 407]);

export function classifyRequestError(error: unknown): CdcFanoutError {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    if (ACCESS_DENIED.has(status)) {
      return new SinkAccessError(
        `elasticsearch refused access (${status}): ${error.message}; check ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD and their privileges (create_index, write, read, manage on the target indices)`,
        error,
      );
    }
    if (status === 429 || status === 408 || status >= 500 || status === 0) {
      return new TransientSinkError(`elasticsearch answered ${status}: ${error.message}`, error);
    }
    return new PermanentSinkError(`elasticsearch refused the request (${status}): ${error.message}`, error);
  }
  // Connection refused, timeouts, no living connections, a proxy without the product header:
  // all can pass, so all are retried.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TransientSinkError(`elasticsearch unreachable: ${message}`, error);
}
