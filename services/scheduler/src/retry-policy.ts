import type { AttemptOutcome, TaskResult } from '@river/protocol';
import type { ActiveTaskEntry } from './task-entry.js';

/**
 * Hand-backs of one task before it finishes as failed anyway: hand-backs
 * do not count as attempts, and this keeps a task that no sandbox ever
 * gets to finish from going round forever.
 */
export const MAX_HAND_BACKS = 100;

/** The longest wait between two attempts, however many came before. */
const MAX_BACKOFF_MS = 60 * 60 * 1_000;

/** What to do with the result of a task's current attempt. */
export type Decision =
  | { kind: 'finish' }
  | {
      kind: 'retry';
      /** Why, for the `task.retrying` event. */
      reason: string;
      /** Whether the attempt was handed back, so it does not count. */
      handBack: boolean;
    }
  | {
      kind: 'wait';
      reason: string;
      /** The backoff still to wait before the retry. */
      delayMs: number;
    };

/**
 * Decides how a task goes on after its current attempt's result. A
 * handed-back attempt is tried again without counting against
 * `maxAttempts`; a lost one is retried at once (the lost timeout was the
 * wait) while attempts are left, whatever `onExitCodes` says; any other
 * failure follows the task's retry policy and backoff.
 */
export function decide(entry: ActiveTaskEntry, result: TaskResult): Decision {
  const { outcome } = result;
  const { maxAttempts, retry } = entry.request.spec;
  const handBacks = entry.handBacks ?? 0;

  if (outcome.reason === 'handed-back') {
    if (handBacks >= MAX_HAND_BACKS) {
      return { kind: 'finish' };
    }
    return {
      kind: 'retry',
      handBack: true,
      reason:
        `Sandbox ${result.sandboxId} handed attempt ${result.attempt} ` +
        'back while it shut down; the next attempt does not count ' +
        'against maxAttempts.',
    };
  }

  const counted = result.attempt - handBacks;
  if (outcome.ok || counted >= maxAttempts) {
    return { kind: 'finish' };
  }
  const reason = describeFailure(outcome);
  if (outcome.reason === 'lost') {
    return { kind: 'retry', handBack: false, reason };
  }
  if (!retryable(outcome, retry?.onExitCodes)) {
    return { kind: 'finish' };
  }
  const wait = backoffLeft(result, retry?.delayMs ?? 0, handBacks);
  return wait > 0
    ? { kind: 'wait', reason, delayMs: wait }
    : { kind: 'retry', handBack: false, reason };
}

/** Whether a failed attempt may be retried under `onExitCodes`. */
export function retryable(
  outcome: AttemptOutcome,
  onExitCodes: readonly number[] | undefined,
): boolean {
  if (outcome.reason === 'cancelled') {
    return false;
  }
  if (outcome.reason === 'lost') {
    return true;
  }
  if (onExitCodes === undefined) {
    return true;
  }
  return (
    outcome.reason === 'exited' &&
    outcome.exitCode !== null &&
    onExitCodes.includes(outcome.exitCode)
  );
}

/**
 * How long before the next attempt may start: `delayMs` after the first
 * failure, doubling for each counted attempt after it up to an hour,
 * counted from the result. Handed-back attempts do not double it.
 */
export function backoffLeft(
  result: TaskResult,
  delayMs: number,
  handBacks = 0,
): number {
  const counted = Math.max(1, result.attempt - handBacks);
  const delay = Math.min(delayMs * 2 ** (counted - 1), MAX_BACKOFF_MS);
  return Math.max(0, result.finishedAt + delay - Date.now());
}

/** One sentence on why an attempt failed, for the `task.retrying` event. */
export function describeFailure(outcome: AttemptOutcome): string {
  if (outcome.message !== undefined && outcome.message !== '') {
    return outcome.message;
  }
  switch (outcome.reason) {
    case 'exited':
      return `exited with code ${outcome.exitCode ?? 'unknown'}`;
    case 'signaled':
      return `killed by signal ${outcome.signal ?? 'unknown'}`;
    case 'lost':
      return 'lost: its sandbox stopped sending heartbeats';
    case 'handed-back':
      return 'handed back by its sandbox, which was shutting down';
    default:
      return outcome.reason;
  }
}
