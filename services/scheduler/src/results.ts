import type { JsMsg } from '@nats-io/jetstream';
import type { TaskResult } from '@river/protocol';
import { publishEvent, taskFields } from '@river/protocol/internal';
import type { SchedulerContext } from './dispatch.js';
import { contended, MAX_CONFLICT_RETRIES } from './retry.js';
import { decide } from './retry-policy.js';
import {
  type ActiveTaskEntry,
  type AttemptEnding,
  type FinishedTaskEntry,
  hasEnding,
  isFinished,
  taskKey,
  withEnding,
} from './task-entry.js';
import type { StoredTask } from './task-store.js';

export {
  backoffLeft,
  describeFailure,
  MAX_HAND_BACKS,
  retryable,
} from './retry-policy.js';

type Fields = Record<string, unknown>;

/** The tombstone's `cache` field: the request's, without a reuse offer. */
function cacheOf(entry: ActiveTaskEntry): Pick<FinishedTaskEntry, 'cache'> {
  const cache = entry.request.cache;
  if (cache?.use !== true) {
    return {};
  }
  const { reuse: _reuse, ...kept } = cache;
  return { cache: kept };
}

/**
 * Handles an attempt's result: retries a failed or lost attempt while
 * attempts are left (a handed-back one always, without counting it),
 * otherwise reports `task.finished` and leaves a tombstone of the task.
 *
 * Every state change is written (compare-and-set) before the events that
 * announce it, and the events carry message ids, so the same result
 * coming back after a crash completes what was left undone and changes
 * nothing else. A result for an attempt that is no longer current, or
 * for a finished task, is ignored with a `task.result-ignored` event.
 */
export function createResultHandler(context: SchedulerContext) {
  const { js, store, caches, log } = context;

  return async (
    result: TaskResult,
    msg: JsMsg,
  ): Promise<'handled' | undefined> => {
    const key = taskKey(result);
    const fields: Fields = {
      ...taskFields(result),
      subject: msg.subject,
      sandboxId: result.sandboxId,
    };
    const ending: AttemptEnding = {
      attempt: result.attempt,
      sandboxId: result.sandboxId,
      reason: result.outcome.reason,
    };

    for (let round = 0; round < MAX_CONFLICT_RETRIES; round++) {
      const stored = await store.read(key);
      if (stored === undefined) {
        log.warn(fields, 'Ignored result of an unknown task');
        return;
      }
      if (isFinished(stored.entry)) {
        const { entry, revision } = stored;
        await afterFinish(key, { entry, revision }, result, ending, fields);
        return;
      }
      const { entry } = stored;
      if (result.attempt !== entry.attempt) {
        await notCurrent({ entry, revision: stored.revision }, result, fields);
        return;
      }

      const decision = decide(entry, result);
      if (decision.kind === 'wait') {
        // The result waits in its queue until the backoff has passed, so
        // a scheduler restart in between loses nothing. The retry is said
        // now, so that a long backoff does not look like a hang; the same
        // message id makes the later announcement a repeat.
        await publishEvent(
          js,
          result.runId,
          'task.retrying',
          {
            taskId: result.taskId,
            attempt: result.attempt + 1,
            reason: decision.reason,
            delayMs: decision.delayMs,
          },
          `${result.runId}.${result.taskId}.${result.attempt + 1}.retrying`,
        );
        msg.nak(decision.delayMs);
        return 'handled';
      }

      const handBacks = entry.handBacks ?? 0;
      const endings = withEnding(entry.endings, ending);
      if (decision.kind === 'finish') {
        const tombstone: FinishedTaskEntry = {
          finished: true,
          runId: result.runId,
          taskId: result.taskId,
          job: entry.request.job,
          name: entry.request.name,
          attempt: result.attempt,
          ok: result.outcome.ok,
          handBacks,
          endings,
          ...cacheOf(entry),
        };
        const revision = await store.update(key, tombstone, stored.revision);
        if (revision === undefined) {
          continue;
        }
        await announceFinish(key, { entry: tombstone, revision }, result);
        log.info(
          { ...fields, ok: result.outcome.ok, reason: result.outcome.reason },
          'Task finished',
        );
        return;
      }

      const next: ActiveTaskEntry = {
        request: entry.request,
        attempt: entry.attempt + 1,
        dispatched: false,
        retryReason: decision.reason,
        handBacks: decision.handBack ? handBacks + 1 : handBacks,
        endings,
        ...(entry.traceparent === undefined
          ? {}
          : { traceparent: entry.traceparent }),
      };
      // Said before the retry is stored: the dispatcher sends it at once.
      await announceLost(result);
      const revision = await store.update(key, next, stored.revision);
      if (revision === undefined) {
        continue;
      }
      context.queued(key, { entry: next, revision });
      log.info(
        {
          ...fields,
          reason: result.outcome.reason,
          handBacks: next.handBacks,
          maxAttempts: entry.request.spec.maxAttempts,
        },
        decision.handBack
          ? 'Queued a handed-back task again'
          : 'Queued a retry of a failed task attempt',
      );
      return;
    }
    throw contended(key);
  };

  /**
   * A result for a finished task: the one that finished it, come back
   * (its events are published again under the same ids, in case a crash
   * came between the tombstone and them), a repeat of an earlier one, or
   * a late result, which is ignored visibly.
   */
  async function afterFinish(
    key: string,
    stored: StoredTask<FinishedTaskEntry>,
    result: TaskResult,
    ending: AttemptEnding,
    fields: Fields,
  ): Promise<void> {
    const { entry } = stored;
    const last = entry.endings.at(-1);
    if (last !== undefined && hasEnding([last], ending)) {
      if (entry.announced !== true) {
        await announceFinish(key, stored, result);
      }
      log.debug(fields, 'Repeated result of a finished task');
      return;
    }
    if (hasEnding(entry.endings, ending)) {
      log.debug(fields, 'Ignored repeated result');
      return;
    }
    await ignore(
      result,
      `the task had already finished with attempt ${entry.attempt}`,
      fields,
    );
  }

  /**
   * A result for an attempt other than the current one: the result that
   * ended the previous attempt, come back before its retry was published
   * (a crash or a racing replica stopped half-way, so finish the job), a
   * repeat, or a late result of an attempt declared lost or handed back.
   */
  async function notCurrent(
    stored: StoredTask<ActiveTaskEntry>,
    result: TaskResult,
    fields: Fields,
  ): Promise<void> {
    const { entry } = stored;
    const ending: AttemptEnding = {
      attempt: result.attempt,
      sandboxId: result.sandboxId,
      reason: result.outcome.reason,
    };
    const last = entry.endings?.at(-1);
    if (last !== undefined && hasEnding([last], ending)) {
      if (result.attempt === entry.attempt - 1) {
        // The result that led to the current attempt, come back: the
        // retry is stored (the dispatcher may have sent it already), and
        // only the loss, if it was one, may be left to announce. Its
        // message id makes a repeat a no-op.
        await announceLost(result);
      }
      log.debug(fields, 'Ignored repeated result');
      return;
    }
    if (hasEnding(entry.endings, ending)) {
      log.debug(fields, 'Ignored repeated result');
      return;
    }

    const earlier = entry.endings?.find(
      (seen) => seen.attempt === result.attempt,
    );
    const why =
      result.attempt > entry.attempt
        ? `attempt ${result.attempt} was never dispatched`
        : `attempt ${result.attempt} had already ended` +
          (earlier === undefined ? '' : ` (${earlier.reason})`);
    await ignore(
      result,
      `${why}; attempt ${entry.attempt} is the current one`,
      fields,
    );
  }

  /** Says in the run's history that a result was dropped, and why. */
  async function ignore(
    result: TaskResult,
    reason: string,
    fields: Fields,
  ): Promise<void> {
    const { runId, taskId, attempt, sandboxId } = result;
    await publishEvent(
      js,
      runId,
      'task.result-ignored',
      { taskId, attempt, sandboxId, reason },
      `${runId}.${taskId}.${attempt}.ignored.${sandboxId}.` +
        result.outcome.reason,
    );
    log.warn(
      { ...fields, outcomeReason: result.outcome.reason, why: reason },
      'Ignored result of an attempt that is not the current one',
    );
  }

  /**
   * Records a successful cached task's outcome under its key and lets go
   * of the key's flight, so that tasks waiting for it find the result, or
   * (after a failure) one of them runs instead.
   */
  async function settleCache(
    entry: FinishedTaskEntry,
    result: TaskResult,
  ): Promise<void> {
    const { cache } = entry;
    if (cache === undefined) {
      return;
    }
    const fields = { ...taskFields(result), key: cache.key };
    if (result.outcome.ok) {
      const origin = {
        runId: result.runId,
        taskId: result.taskId,
        attempt: result.attempt,
        finishedAt: result.finishedAt,
      };
      const problem = await caches.record(cache, origin, result.outcome);
      if (problem === undefined) {
        log.info(fields, 'Recorded a task result in the cache');
      } else {
        log.warn({ ...fields, problem }, 'Did not record a task result');
      }
    }
    await caches.releaseFlight(cache, result);
  }

  /** Publishes `task.lost` when the result reports a lost attempt. */
  async function announceLost(result: TaskResult): Promise<void> {
    if (result.outcome.reason !== 'lost') {
      return;
    }
    const { runId, taskId, attempt } = result;
    await publishEvent(
      js,
      runId,
      'task.lost',
      {
        taskId,
        attempt,
        reason:
          result.outcome.message ?? 'its sandbox stopped sending heartbeats',
      },
      `${runId}.${taskId}.${attempt}.lost`,
    );
  }

  /**
   * Publishes the task's end, then marks its tombstone announced; a
   * crash in between leaves it unmarked, and the result's redelivery
   * publishes again under the same message id.
   */
  async function announceFinish(
    key: string,
    stored: StoredTask<FinishedTaskEntry>,
    result: TaskResult,
  ): Promise<void> {
    const { entry } = stored;
    await announceLost(result);
    await settleCache(entry, result);
    await publishEvent(
      js,
      entry.runId,
      'task.finished',
      {
        job: entry.job,
        taskId: entry.taskId,
        name: entry.name,
        attempt: result.attempt,
        outcome: result.outcome,
      },
      `${entry.runId}.${entry.taskId}.finished`,
    );
    // A conflict means another scheduler got here first: it marks it.
    await store.update(key, { ...entry, announced: true }, stored.revision);
  }
}
