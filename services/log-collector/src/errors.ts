/** Stable codes of the log-collector's errors. */
export const LogCollectorErrorCode = {
  invalidConfig: 'INVALID_CONFIG',
  indexContended: 'INDEX_CONTENDED',
} as const;

/** One of {@link LogCollectorErrorCode}'s values. */
export type LogCollectorErrorCode =
  (typeof LogCollectorErrorCode)[keyof typeof LogCollectorErrorCode];

/** Base of every error the log-collector throws. */
export class LogCollectorError extends Error {
  /** A stable code a caller can branch on. */
  readonly code: LogCollectorErrorCode;

  constructor(code: LogCollectorErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An environment variable is missing or has a value the collector refuses. */
export class ConfigError extends LogCollectorError {
  /** The environment variable at fault, for example `NATS_URL`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(LogCollectorErrorCode.invalidConfig, message);
    this.variable = variable;
  }
}

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
