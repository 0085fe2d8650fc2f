import { isClosedConnection } from '@river/protocol/internal';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';

/** A project file could not be bundled; names the file and line. */
export class BundleError extends RiverError {
  /** The project file as the user named it. */
  readonly file: string;
  /** Line of the first error, when known (1-based). */
  readonly line: number | undefined;

  constructor(file: string, message: string, line?: number, cause?: unknown) {
    super(RiverErrorCode.bundle, message, cause);
    this.file = file;
    this.line = line;
  }
}

/** The NATS server could not be reached or does not suit River. */
export class ConnectionError extends RiverError {
  constructor(message: string, cause?: unknown) {
    super(RiverErrorCode.connection, message, cause);
  }
}

/**
 * `error` as a ConnectionError saying that NATS was lost while `doing`,
 * and how to go on, when the connection gave up on its server; any other
 * error as it is.
 */
export function lostNats(error: unknown, doing: string, goOn: string): unknown {
  if (!isClosedConnection(error)) {
    return error;
  }
  return new ConnectionError(
    `Lost NATS while ${doing}: no server answered, and the connection ` +
      `gave up. ${goOn}`,
    error,
  );
}

/**
 * A run cannot be retried: it is unknown, was submitted by a River that
 * did not record its sources, or its bundle or sources are gone.
 */
export class RetryError extends RiverError {
  /** The run that was to be retried. */
  readonly runId: string;

  constructor(code: RiverErrorCode, runId: string, message: string) {
    super(code, message);
    this.runId = runId;
  }
}
