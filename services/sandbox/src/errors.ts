import type { AttemptReason } from '@river/protocol';

/** Stable codes of the sandbox's errors. */
export const SandboxErrorCode = {
  invalidConfig: 'INVALID_CONFIG',
  attemptFailed: 'ATTEMPT_FAILED',
} as const;

/** One of {@link SandboxErrorCode}'s values. */
export type SandboxErrorCode =
  (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/** Base of every error the sandbox throws. */
export class SandboxError extends Error {
  /** A stable code a caller can branch on. */
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An environment variable holds a value the sandbox cannot use. */
export class ConfigError extends SandboxError {
  /** The environment variable at fault, for example `RIVER_SLOTS`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(SandboxErrorCode.invalidConfig, message);
    this.variable = variable;
  }
}

/**
 * One attempt cannot go on: an input could not be placed, or an output
 * could not be stored. Its message becomes the outcome's message.
 */
export class AttemptFailedError extends SandboxError {
  /** The reason the attempt's outcome reports. */
  readonly reason: AttemptReason;
  /** The workspace path at fault, as the task declared it. */
  readonly path: string;

  constructor(
    reason: AttemptReason,
    path: string,
    message: string,
    cause?: unknown,
  ) {
    super(SandboxErrorCode.attemptFailed, message, cause);
    this.reason = reason;
    this.path = path;
  }
}
