/**
 * Base of the services' error classes: an error with a stable string code
 * a caller can branch on, and the error that caused it, if any.
 *
 * @example
 * ```ts
 * export class SchedulerError extends CodedError<SchedulerErrorCode> {}
 * ```
 */
export class CodedError<Code extends string> extends Error {
  /** A stable code a caller can branch on. */
  readonly code: Code;

  constructor(code: Code, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}
