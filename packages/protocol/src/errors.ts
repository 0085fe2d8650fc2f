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

/** Where and what the server was that {@link ServerUnsupportedError} refused. */
export interface ServerUnsupportedContext {
  /** The version the server reported, for example `2.9.10`. */
  serverVersion?: string;
  /** Where it was reached, for example `nats://127.0.0.1:4222`. */
  server?: string;
  /** The first nats-server release with the feature, when one brings it. */
  requiredVersion?: string;
}

/**
 * The NATS server lacks a version, feature or setting River relies on.
 * The message names it, the version or setting that brings it, and the
 * server's version and address.
 */
export class ServerUnsupportedError extends ProtocolError {
  /**
   * The feature that is missing: one of the protocol's server features
   * (`jetstream`, `direct-get`, …), or `jetstream-account`,
   * `max-payload` or `clustering`.
   */
  readonly feature: string;
  /** The version the server reported, when it was reached. */
  readonly serverVersion: string | undefined;
  /** Where the server was reached. */
  readonly server: string | undefined;
  /** The first nats-server release with the feature, when one brings it. */
  readonly requiredVersion: string | undefined;

  constructor(
    feature: string,
    message: string,
    context: ServerUnsupportedContext = {},
  ) {
    super(ProtocolErrorCode.serverUnsupported, message);
    this.feature = feature;
    this.serverVersion = context.serverVersion;
    this.server = context.server;
    this.requiredVersion = context.requiredVersion;
  }
}
