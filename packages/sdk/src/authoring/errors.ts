/** Stable codes of the SDK's errors. */
export const RiverErrorCode = {
  definition: 'DEFINITION',
  taskFailed: 'TASK_FAILED',
  bundle: 'BUNDLE',
  connection: 'CONNECTION',
  notFound: 'NOT_FOUND',
  invalidArgument: 'INVALID_ARGUMENT',
} as const;

/** One of {@link RiverErrorCode}'s values. */
export type RiverErrorCode =
  (typeof RiverErrorCode)[keyof typeof RiverErrorCode];

/** Base of every error thrown by `@river/sdk`. */
export class RiverError extends Error {
  /** A stable code a caller can branch on. */
  readonly code: RiverErrorCode;

  constructor(code: RiverErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A project, job or task was declared wrongly. */
export class DefinitionError extends RiverError {
  constructor(message: string) {
    super(RiverErrorCode.definition, message);
  }
}
