import { ClosedConnectionError, TimeoutError } from '@nats-io/transport-node';

/** Whether `error`, or an error that caused it, is a `type`. */
function causedBy(
  error: unknown,
  type: typeof ClosedConnectionError | typeof TimeoutError,
): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof type) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `error` comes of a connection that gave up on its server: it
 * never comes back, so retrying is pointless.
 */
export function isClosedConnection(error: unknown): boolean {
  return causedBy(error, ClosedConnectionError);
}

/** Whether `error` comes of a NATS request that got no answer in time. */
export function isNatsTimeout(error: unknown): boolean {
  return causedBy(error, TimeoutError);
}
