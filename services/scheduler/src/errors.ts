import { CodedError } from '@river/protocol/internal';

/**
 * A missing or invalid environment variable, named by its `variable`. The
 * settings code shared by the services throws it.
 */
export { SettingsError as ConfigError } from '@river/protocol/internal';

/** Stable codes of the scheduler's own errors. */
export const SchedulerErrorCode = {
  corruptTaskEntry: 'CORRUPT_TASK_ENTRY',
  taskEntryContended: 'TASK_ENTRY_CONTENDED',
} as const;

/** One of {@link SchedulerErrorCode}'s values. */
export type SchedulerErrorCode =
  (typeof SchedulerErrorCode)[keyof typeof SchedulerErrorCode];

/** Base of the errors only the scheduler throws. */
export class SchedulerError extends CodedError<SchedulerErrorCode> {}

/** A stored task entry could not be read back. */
export class TaskEntryError extends SchedulerError {
  /** The entry's key in the tasks bucket, `<runId>.<taskId>`. */
  readonly key: string;

  constructor(
    code: SchedulerErrorCode,
    key: string,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause);
    this.key = key;
  }
}
