import { CodedError } from '@river/protocol/internal';

/**
 * A missing or invalid environment variable, named by its `variable`. The
 * settings code shared by the services throws it.
 */
export { SettingsError as ConfigError } from '@river/protocol/internal';

/** Stable codes of the log-collector's own errors. */
export const LogCollectorErrorCode = {
  indexContended: 'INDEX_CONTENDED',
} as const;

/** One of {@link LogCollectorErrorCode}'s values. */
export type LogCollectorErrorCode =
  (typeof LogCollectorErrorCode)[keyof typeof LogCollectorErrorCode];

/** Base of the errors only the log-collector throws. */
export class LogCollectorError extends CodedError<LogCollectorErrorCode> {}

/** A log index entry kept changing while a chunk was being counted. */
export class IndexContendedError extends LogCollectorError {
  /** The entry's key, `<runId>.<taskId>.<attempt>`. */
  readonly key: string;

  constructor(key: string, rounds: number) {
    super(
      LogCollectorErrorCode.indexContended,
      `The log index entry ${key} changed ${rounds} times while a chunk ` +
        'was being counted; the chunk will be redelivered.',
    );
    this.key = key;
  }
}
