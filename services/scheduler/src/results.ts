import type { JsMsg } from '@nats-io/jetstream';
import type { AttemptOutcome, TaskResult } from '@river/protocol';
import { publishEvent, taskFields } from '@river/protocol/internal';
import { dispatchAttempt, type SchedulerContext } from './dispatch.js';
import { contended, MAX_CONFLICT_RETRIES } from './retry.js';
import { type TaskEntry, taskKey } from './task-entry.js';

/**
 * Handles an attempt's result: retries a failed attempt while attempts are
 * left, otherwise reports `task.finished` and forgets the task. A result
 * for an unknown task or another attempt changes nothing.
 */
export function createResultHandler(context: SchedulerContext) {
  const { js, store, log } = context;

  return async (
    result: TaskResult,
    msg: JsMsg,
  ): Promise<'handled' | undefined> => {
    const key = taskKey(result);
    const fields = { ...taskFields(result), subject: msg.subject };

    for (let round = 0; round < MAX_CONFLICT_RETRIES; round++) {
      const stored = await store.read(key);
      if (stored === undefined) {
        log.warn(fields, 'Ignored result of an unknown task');
        return;
      }
      const { entry } = stored;

      // The retry of this very result was stored but not yet published:
      // a crash or a racing replica stopped half-way, so finish the job.
      if (result.attempt === entry.attempt - 1 && !entry.dispatched) {
        await dispatchAttempt(context, key, stored);
        return;
      }
      if (result.attempt !== entry.attempt) {
        log.warn(
          { ...fields, currentAttempt: entry.attempt },
          'Ignored result of an attempt that is not the current one',
        );
        return;
      }

      const { maxAttempts, retry } = entry.request.spec;
      if (
        result.outcome.ok ||
        result.attempt >= maxAttempts ||
        !retryable(result.outcome, retry?.onExitCodes)
      ) {
        await finish(entry, result);
        await store.remove(key);
        log.info(
          { ...fields, ok: result.outcome.ok, reason: result.outcome.reason },
          'Task finished',
        );
        return;
      }

      // The result waits in its queue until the backoff has passed, so a
      // scheduler restart in between loses nothing.
      const wait = backoffLeft(result, retry?.delayMs ?? 0);
      if (wait > 0) {
        // Said now, so that a long backoff does not look like a hang; the
        // same message id makes the later announcement a repeat.
        await publishEvent(
          js,
          result.runId,
          'task.retrying',
          {
            taskId: result.taskId,
            attempt: result.attempt + 1,
            reason: describeFailure(result.outcome),
            delayMs: wait,
          },
          `${result.runId}.${result.taskId}.${result.attempt + 1}.retrying`,
        );
        msg.nak(wait);
        return 'handled';
      }

      const next: TaskEntry = {
        request: entry.request,
        attempt: entry.attempt + 1,
        dispatched: false,
        retryReason: describeFailure(result.outcome),
      };
      const revision = await store.update(key, next, stored.revision);
      if (revision === undefined) {
        continue;
      }
      log.info(
        { ...fields, reason: next.retryReason, maxAttempts },
        'Retrying failed task attempt',
      );
      await dispatchAttempt(context, key, { entry: next, revision });
      return;
    }
    throw contended(key);
  };

  async function finish(entry: TaskEntry, result: TaskResult) {
    const { request } = entry;
    await publishEvent(
      js,
      request.runId,
      'task.finished',
      {
        job: request.job,
        taskId: request.taskId,
        name: request.name,
        attempt: result.attempt,
        outcome: result.outcome,
      },
      `${request.runId}.${request.taskId}.finished`,
    );
  }
}

/** Whether a failed attempt may be retried under `onExitCodes`. */
export function retryable(
  outcome: AttemptOutcome,
  onExitCodes: readonly number[] | undefined,
): boolean {
  if (outcome.reason === 'cancelled') {
    return false;
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

/** The longest wait between two attempts, however many came before. */
const MAX_BACKOFF_MS = 60 * 60 * 1_000;

/**
 * How long before the next attempt may start: `delayMs` after the first
 * failure, doubling for each attempt after it up to an hour, counted from
 * the result.
 */
export function backoffLeft(result: TaskResult, delayMs: number): number {
  const delay = Math.min(delayMs * 2 ** (result.attempt - 1), MAX_BACKOFF_MS);
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
    default:
      return outcome.reason;
  }
}
