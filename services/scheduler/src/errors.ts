/** Stable codes of the scheduler's errors. */
export const SchedulerErrorCode = {
  invalidConfig: 'INVALID_CONFIG',
  corruptTaskEntry: 'CORRUPT_TASK_ENTRY',
  taskEntryContended: 'TASK_ENTRY_CONTENDED',
} as const;

/** One of {@link SchedulerErrorCode}'s values. */
export type SchedulerErrorCode =
  (typeof SchedulerErrorCode)[keyof typeof SchedulerErrorCode];

/** Base of every error the scheduler throws. */
export class SchedulerError extends Error {
  /** A stable code a caller can branch on. */
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An environment variable is missing or has a value the scheduler refuses. */
export class ConfigError extends SchedulerError {
  /** The environment variable at fault, for example `NATS_URL`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(SchedulerErrorCode.invalidConfig, message);
    this.variable = variable;
  }
}

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
