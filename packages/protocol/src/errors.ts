/** Stable codes of the protocol's errors. */
export const ProtocolErrorCode = {
  invalidMessage: 'INVALID_MESSAGE',
  unsupportedVersion: 'UNSUPPORTED_VERSION',
  undecodable: 'UNDECODABLE',
  serverUnsupported: 'SERVER_UNSUPPORTED',
} as const;

/** One of {@link ProtocolErrorCode}'s values. */
export type ProtocolErrorCode =
  (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Base of every error thrown by `@river/protocol`. */
export class ProtocolError extends Error {
  /** A stable code a caller can branch on. */
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A message could not be decoded or failed its schema. It names the
 * subject, the message kind and the first failing field.
 */
export class MessageDecodeError extends ProtocolError {
  /** The subject the message arrived on. */
  readonly subject: string;
  /** The message kind the bytes were decoded as. */
  readonly kind: string;
  /** JSON pointer of the failing field, or '' for the whole message. */
  readonly field: string;
  /** What was wrong with that field. */
  readonly reason: string;

  constructor(options: {
    code: ProtocolErrorCode;
    subject: string;
    kind: string;
    field: string;
    reason: string;
    cause?: unknown;
  }) {
    const where = options.field === '' ? 'the message' : options.field;
    super(
      options.code,
      `Rejected ${options.kind} message on ${options.subject}: ` +
        `${where} ${options.reason}.`,
      options.cause,
    );
    this.subject = options.subject;
    this.kind = options.kind;
    this.field = options.field;
    this.reason = options.reason;
  }
}

/** The NATS server lacks a version or feature River relies on. */
export class ServerUnsupportedError extends ProtocolError {
  /** The feature that is missing. */
  readonly feature: string;

  constructor(feature: string, message: string) {
    super(ProtocolErrorCode.serverUnsupported, message);
    this.feature = feature;
  }
}
