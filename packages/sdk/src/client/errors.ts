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
