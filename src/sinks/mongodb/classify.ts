// Sorts MongoDB failures into the pipeline's decisions. Network and primary-election errors are
// transient; a write error on one document (bad field name, too large, validation) is permanent.
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import {
  PermanentSinkError,
  SinkAccessError,
  TransientSinkError,
  errorMessage,
  type CdcFanoutError,
} from '../../errors.js';

/** Server codes that mean "try again": elections, shutdowns, timeouts, write conflicts. */
const TRANSIENT_CODES = new Set([
  6, 7, 50, 64, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 16500,
]);

export const DUPLICATE_KEY = 11000;

/** Unauthorized, AuthenticationFailed: the credentials or their roles, never the document. */
const ACCESS_CODES = new Set([13, 18]);

function accessError(code: number, message: string, cause?: unknown): SinkAccessError {
  return new SinkAccessError(
    `mongodb refused access (${code}): ${message}; check the credentials in MONGODB_URL and their roles (readWrite on MONGODB_DATABASE)`,
    cause,
  );
}

export function classifyWriteError(code: number | undefined, message: string): CdcFanoutError {
  if (code !== undefined && ACCESS_CODES.has(code)) return accessError(code, message);
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new TransientSinkError(`mongodb write error ${code}: ${message}`);
  }
  return new PermanentSinkError(`mongodb rejected the document (${code ?? 'no code'}): ${message}`);
}

export function classifyRequestError(error: unknown): CdcFanoutError {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new TransientSinkError(`mongodb unreachable: ${error.message}`, error);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && ACCESS_CODES.has(code))
    return accessError(code, errorMessage(error), error);
  // Unknown whole-request failures are retried: skipping a batch is never the safe default.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TransientSinkError(`mongodb request failed: ${message}`, error);
}
