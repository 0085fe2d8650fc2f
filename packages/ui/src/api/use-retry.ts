/** Loading again what failed because the gateway or NATS was away. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './http.js';
import { live } from './live.js';

/** How long a page waits before it tries a failed load again. */
const RETRY_MS = 3_000;

/**
 * Whether a load failed for a passing reason: the gateway did not answer
 * (status 0) or said it cannot reach NATS (503).
 */
export function isOutage(failure: Error): boolean {
  return (
    failure instanceof ApiError &&
    (failure.status === 0 || failure.status === 503)
  );
}

/**
 * A counter for a load's effect to depend on, and `failed`, which takes a
 * load's failure and returns the message to show. After an outage it also
 * bumps the counter after a pause, so that the page loads by itself once
 * the gateway and NATS are back (each try may itself take the gateway's
 * 5 s wait for NATS).
 */
export function useRetryOnOutage(): [
  attempt: number,
  failed: (failure: Error) => string,
] {
  const [attempt, setAttempt] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const failed = useCallback((failure: Error) => {
    if (!isOutage(failure)) return failure.message;
    // A page that has not loaded has no stream yet; one of every run's
    // lifecycle lets the header say whether the gateway reaches NATS.
    if (live.state === 'idle') live.watch({});
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
    return `${failure.message} Trying again…`;
  }, []);
  return [attempt, failed];
}
