import type { AttemptReason } from '@river/protocol';
import { CodedError } from '@river/protocol/internal';

/**
 * A missing or invalid environment variable, named by its `variable`. The
 * settings code shared by the services throws it.
 */
export { SettingsError as ConfigError } from '@river/protocol/internal';

/** Stable codes of the sandbox's own errors. */
export const SandboxErrorCode = {
  attemptFailed: 'ATTEMPT_FAILED',
  lostTimeoutRefused: 'LOST_TIMEOUT_REFUSED',
  runnerRefused: 'RUNNER_REFUSED',
} as const;

/** One of {@link SandboxErrorCode}'s values. */
export type SandboxErrorCode =
  (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/** Base of the errors only the sandbox throws. */
export class SandboxError extends CodedError<SandboxErrorCode> {}

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
