import type { JsMsg } from '@nats-io/jetstream';
import {
  type AttemptOutcome,
  type CacheReuse,
  describeKeyChanges,
  type TaskCache,
  type TaskRequest,
} from '@river/protocol';
import {
  endSpan,
  notRunOutcome,
  publishEvent,
  startSpan,
  traceparentFrom,
} from '@river/protocol/internal';
import type { SchedulerContext } from './dispatch.js';
import { type FinishedTaskEntry, taskKey } from './task-entry.js';

/**
 * How often a task waiting for an identical one looks again: its request
 * message comes back this long after being put back on the queue.
 */
export const CACHE_WAIT_POLL_MS = 500;

/**
 * What became of a request after the cache was consulted: it is to `run`,
 * it finished as a `hit` or `cancelled` (while it waited), or it is
 * `waiting` for an identical task.
 */
export type CacheVerdict = 'run' | 'hit' | 'cancelled' | 'waiting';

type Fields = Record<string, unknown>;

/**
 * Consults the cache for a task request before it is stored: a hit
 * finishes the task with the reused outcome and costs no sandbox; a miss
 * claims the key (`run`); a request whose key another task holds puts its
 * message back to look again shortly (`waiting`), so that identical tasks
 * run once and, should the running one fail, one waiter takes over. Each
 * decision is announced by a `task.cache` event.
 */
export async function consultCache(
  context: SchedulerContext,
  request: TaskRequest & { cache: TaskCache },
  msg: JsMsg,
  fields: Fields,
): Promise<CacheVerdict> {
  const { runId, job, taskId, cache } = request;
  const span = startSpan(
    'cache',
    { runId, job, taskId, key: cache.key },
    traceparentFrom(msg.headers),
  );
  try {
    const verdict = await decide(context, request, msg, fields);
    span.setAttribute('cached', verdict === 'hit');
    span.setAttribute('verdict', verdict);
    endSpan(span);
    return verdict;
  } catch (error) {
    endSpan(span, String(error));
    throw error;
  }
}

async function decide(
  context: SchedulerContext,
  request: TaskRequest & { cache: TaskCache },
  msg: JsMsg,
  fields: Fields,
): Promise<CacheVerdict> {
  const { caches, log } = context;
  const { cache } = request;
  const found = await caches.find(cache);
  if (found.hit !== undefined) {
    caches.forgetWait(request);
    await reuse(context, request, found.hit, fields);
    return 'hit';
  }
  if (!cache.use) {
    const changes = await explainMiss(context, cache, found.unusable);
    await announce(context, request, 'miss', changes);
    return 'run';
  }

  // A holder whose run was cancelled before a sandbox took it may never
  // finish: its pool may have no sandbox at all.
  const flight = await caches.takeFlight(
    cache,
    request,
    (holder) => context.cancelReason(holder) !== undefined,
  );
  if (flight !== 'taken') {
    const cancelled = context.cancelReason(request);
    if (cancelled !== undefined) {
      caches.forgetWait(request);
      await finishCancelled(context, request, cancelled);
      return 'cancelled';
    }
    if (!caches.waitAnnounced(request)) {
      await announce(context, request, 'wait', [
        `task ${flight.taskId} of run ${flight.runId} runs the same key now`,
      ]);
      caches.noteWaitAnnounced(request);
    }
    msg.nak(CACHE_WAIT_POLL_MS);
    log.debug(
      { ...fields, key: cache.key, holder: flight },
      'Waiting for an identical task',
    );
    return 'waiting';
  }
  caches.forgetWait(request);
  // The task that held the key may have recorded its result and let go
  // between the look-up above and this claim: look again before running.
  const late = await caches.find(cache);
  if (late.hit !== undefined) {
    await caches.releaseFlight(cache, request);
    await reuse(context, request, late.hit, fields);
    return 'hit';
  }
  const changes = await explainMiss(context, cache, late.unusable);
  await announce(context, request, 'miss', changes);
  await caches.noteRequest(cache, request);
  log.info({ ...fields, key: cache.key, changes }, 'Cache miss');
  return 'run';
}

/** Finishes the task with a reused outcome; notes a cached request. */
async function reuse(
  context: SchedulerContext,
  request: TaskRequest & { cache: TaskCache },
  hit: CacheReuse,
  fields: Fields,
): Promise<void> {
  const { cache } = request;
  await finishFromCache(context, request, hit);
  if (cache.use) {
    await context.caches.noteRequest(cache, request);
  }
  context.log.info(
    { ...fields, key: cache.key, from: hit.origin.runId },
    'Reused a cached task result',
  );
}

/** Why a request missed, by the key parts that changed since the last. */
async function explainMiss(
  context: SchedulerContext,
  cache: TaskCache,
  unusable: string | undefined,
): Promise<string[]> {
  const reasons: string[] = [];
  if (cache.use) {
    const last = await context.caches.lastRequest(cache);
    if (last === undefined) {
      reasons.push('no earlier request of this task');
    } else {
      const changes = describeKeyChanges(last.parts, cache.parts);
      reasons.push(...changes);
      if (changes.length === 0 && unusable === undefined) {
        reasons.push(
          `nothing changed since run ${last.runId}, but no result was ` +
            'recorded for this key: that task failed, or was still running',
        );
      }
    }
  }
  if (unusable !== undefined) {
    reasons.push(unusable);
  }
  return reasons;
}

/** Publishes the request's `task.cache` event; once per result kind. */
async function announce(
  context: SchedulerContext,
  request: TaskRequest & { cache: TaskCache },
  result: 'hit' | 'miss' | 'wait',
  changes: string[],
  reuse?: CacheReuse,
): Promise<void> {
  const { runId, taskId } = request;
  await publishEvent(
    context.js,
    runId,
    'task.cache',
    {
      taskId,
      result,
      key: request.cache.key,
      changes,
      ...(reuse === undefined ? {} : { from: reuse.origin }),
    },
    `${runId}.${taskId}.cache.${result}`,
  );
}

/**
 * Finishes the task with a reused outcome: its events first (with message
 * ids, so a redelivery repeats nothing), then its tombstone.
 */
async function finishFromCache(
  context: SchedulerContext,
  request: TaskRequest & { cache: TaskCache },
  reuse: CacheReuse,
): Promise<void> {
  await announce(context, request, 'hit', [], reuse);
  await finish(context, request, reuse.outcome, reuse);
}

async function finishCancelled(
  context: SchedulerContext,
  request: TaskRequest,
  reason: string,
): Promise<void> {
  const outcome = notRunOutcome(
    'cancelled',
    `Cancelled while it waited for an identical task: ${reason}`,
  );
  await finish(context, request, outcome, undefined);
}

/** Publishes `task.finished` for a task no sandbox ran, and its tombstone. */
async function finish(
  context: SchedulerContext,
  request: TaskRequest,
  outcome: AttemptOutcome,
  reuse: CacheReuse | undefined,
): Promise<void> {
  const { runId, taskId, job, name } = request;
  await publishEvent(
    context.js,
    runId,
    'task.finished',
    {
      job,
      taskId,
      name,
      attempt: 1,
      outcome,
      ...(reuse === undefined ? {} : { cached: reuse.origin }),
    },
    `${runId}.${taskId}.finished`,
  );
  const tombstone: FinishedTaskEntry = {
    finished: true,
    runId,
    taskId,
    job,
    name,
    attempt: 1,
    ok: outcome.ok,
    handBacks: 0,
    endings: [],
    announced: true,
  };
  // A conflict means a redelivery got here first; the events are the same.
  await context.store.create(taskKey(request), tombstone);
}
