import { CodedError } from './coded-error.js';

/** Stable code of {@link NatsAccessError}. */
export const NATS_ACCESS_ERROR_CODE = 'NATS_ACCESS_DENIED';

/** What the server refused: the connection itself, a publish, a subscribe. */
export type NatsOperation = 'connect' | 'publish' | 'subscribe';

/**
 * The NATS server refused a connection's credentials, or refused what a
 * user tried to do under its permissions. The message names the user (the
 * role), the subject and the permission the role lacks.
 */
export class NatsAccessError extends CodedError<typeof NATS_ACCESS_ERROR_CODE> {
  /** The NATS user, which is the role; `undefined` for no credentials. */
  readonly user: string | undefined;
  /** What was refused. */
  readonly operation: NatsOperation;
  /** The subject refused; `undefined` for a refused connection. */
  readonly subject: string | undefined;

  constructor(options: {
    user: string | undefined;
    operation: NatsOperation;
    subject?: string;
    message: string;
    cause?: unknown;
  }) {
    super(NATS_ACCESS_ERROR_CODE, options.message, options.cause);
    this.user = options.user;
    this.operation = options.operation;
    this.subject = options.subject;
  }
}

/** The pieces of a server's "Permissions Violation" error. */
interface Violation {
  operation: 'publish' | 'subscribe';
  subject: string;
}

/**
 * Finds a server's permissions violation in `error` or its causes: the
 * client wraps it in a request error.
 */
export function permissionViolation(error: unknown): Violation | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; depth++) {
    const found =
      /Permissions Violation for (Publish|Subscription) to "([^"]+)"/i.exec(
        at.message,
      );
    if (found?.[2] !== undefined) {
      const operation =
        found[1]?.toLowerCase() === 'publish' ? 'publish' : 'subscribe';
      return { operation, subject: found[2] };
    }
    at = at.cause;
  }
  return undefined;
}

/** The JetStream API verbs River's roles use, in words. */
const API_ACTIONS: readonly [RegExp, (...parts: string[]) => string][] = [
  [/^STREAM\.INFO\.(.+)$/, (s) => `look up stream ${s}`],
  [
    /^STREAM\.(CREATE|UPDATE|DELETE|PURGE)\.(.+)$/,
    (verb, s) => `${verb?.toLowerCase()} stream ${s}`,
  ],
  [/^STREAM\.MSG\.GET\.(.+)$/, (s) => `read any message of stream ${s}`],
  [
    /^DIRECT\.GET\.([^.]+)\.(.+)$/,
    (s, subject) => `read the last message on ${subject} of stream ${s}`,
  ],
  [/^DIRECT\.GET\.(.+)$/, (s) => `read any message of stream ${s}`],
  [
    /^CONSUMER\.CREATE\.([^.]+)\.([^.]+)\.(.+)$/,
    (s, c, filter) => `create consumer ${c} on stream ${s} for ${filter}`,
  ],
  [
    /^CONSUMER\.(?:DURABLE\.)?CREATE\.([^.]+)(?:\.([^.]+))?$/,
    (s) => `create an unfiltered consumer on stream ${s}`,
  ],
  [
    /^CONSUMER\.INFO\.([^.]+)\.(.+)$/,
    (s, c) => `look up consumer ${c} of stream ${s}`,
  ],
  [
    /^CONSUMER\.DELETE\.([^.]+)\.(.+)$/,
    (s, c) => `delete consumer ${c} of stream ${s}`,
  ],
  [
    /^CONSUMER\.MSG\.NEXT\.([^.]+)\.(.+)$/,
    (s, c) => `pull messages from consumer ${c} of stream ${s}`,
  ],
];

/** What a refused subject would have done, in words. */
export function describeSubject(
  operation: 'publish' | 'subscribe',
  subject: string,
): string {
  if (operation === 'subscribe') {
    return `receive messages on ${subject}`;
  }
  const api = /^\$JS\.API\.(.+)$/.exec(subject)?.[1];
  if (api !== undefined) {
    for (const [pattern, describe] of API_ACTIONS) {
      const parts = pattern.exec(api);
      if (parts !== null) {
        return describe(...parts.slice(1).map((part) => part ?? ''));
      }
    }
    return `use the JetStream API ${api}`;
  }
  const kv = /^\$KV\.([^.]+)\.(.+)$/.exec(subject);
  if (kv !== null) {
    return `write key ${kv[2]} of bucket ${kv[1]}`;
  }
  const object = /^\$O\.([^.]+)\./.exec(subject);
  if (object !== null) {
    return `write to object store ${object[1]}`;
  }
  if (subject.startsWith('$JS.ACK.')) {
    return `acknowledge messages of ${subject.split('.').slice(2, 4).join(' ')}`;
  }
  return `publish to ${subject}`;
}

/**
 * A refused publish or subscribe as an error that names the user, what it
 * tried, the subject and the permission its role lacks.
 */
export function accessError(
  user: string | undefined,
  violation: Violation,
  cause?: unknown,
): NatsAccessError {
  const who =
    user === undefined
      ? 'A connection without a NATS user'
      : `NATS user '${user}'`;
  const verb = violation.operation === 'publish' ? 'publish' : 'subscribe';
  return new NatsAccessError({
    user,
    operation: violation.operation,
    subject: violation.subject,
    message:
      `${who} may not ${describeSubject(violation.operation, violation.subject)}: ` +
      `its role lacks the permission to ${verb} to "${violation.subject}" ` +
      "in the server's configuration (see River's NATS rights).",
    cause,
  });
}
