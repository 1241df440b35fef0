// Every error the pipeline acts on says what to do with it: `retriable` errors are retried with
// backoff for as long as it takes; the others are permanent for the event that caused them and
// send it to the dead-letter topic (or stop the pipeline when that is disabled).

export class CdcFanoutError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable;
  }
}

/** The message cannot be turned into a change event: bad JSON, wrong envelope, unknown op. */
export class DecodeError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/** A setting is missing or wrong; raised at start, naming the variable and what was expected. */
export class ConfigError extends CdcFanoutError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** A command-line tool was called with arguments it cannot use. */
export class UsageError extends CdcFanoutError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** The sink refused this one document for good: mapping rejection, too large, invalid field name. */
export class PermanentSinkError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/** The sink is unreachable, overloaded or failing over: the same write may succeed later. */
export class TransientSinkError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}

/**
 * The sink refused our credentials or permissions (expired API key, missing privilege): an outage
 * of the whole sink, never a fault of the documents, so it is retried (loudly) until an operator
 * fixes it, and nothing is dead-lettered meanwhile.
 */
export class SinkAccessError extends TransientSinkError {}

/** Anything thrown that is not one of ours is treated as transient: retrying is the safe default. */
export function isRetriable(error: unknown): boolean {
  return error instanceof CdcFanoutError ? error.retriable : true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A reindex that cannot go on; what it built stays, and a rerun continues from there. */
export class ReindexError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}
