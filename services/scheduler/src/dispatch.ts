import type { JetStreamClient } from '@nats-io/jetstream';
import { Subjects } from '@river/protocol';
import {
  endSpan,
  type Logger,
  publishEvent,
  startSpan,
  taskFields,
} from '@river/protocol/internal';
import type { CacheStore } from './cache-store.js';
import { publishDispatch } from './publish.js';
import type { ActiveTaskEntry } from './task-entry.js';
import type { StoredTask, TaskStore } from './task-store.js';

/** What the scheduler's message handlers share. */
export interface SchedulerContext {
  js: JetStreamClient;
  store: TaskStore;
  caches: CacheStore;
  /** Why the task's run, or the task, was cancelled, if it was. */
  cancelReason(task: { runId: string; taskId: string }): string | undefined;
  /**
   * Hands a task that now waits for its dispatch (a new request, a retry)
   * to this replica's dispatcher at once, ahead of its watch.
   */
  queued(key: string, stored: StoredTask<ActiveTaskEntry>): void;
  log: Logger;
}

/**
 * Publishes the entry's current attempt to the queue of the sandboxes
 * that offer `labels` (after a `task.retrying` event when it is a retry,
 * and its `task.dispatched` event), then marks it dispatched there. Every
 * publish carries a message id, so running this again for the same
 * attempt queues nothing new.
 *
 * @returns the entry's new revision, or `undefined` when it had changed
 *   meanwhile (a result moved the task on; its state is the newer one).
 */
export async function dispatchAttempt(
  context: SchedulerContext,
  key: string,
  stored: StoredTask<ActiveTaskEntry>,
  labels: readonly string[],
): Promise<number | undefined> {
  const { store, log } = context;
  const { request, attempt } = stored.entry;
  const { runId, taskId } = request;
  const prefix = `${runId}.${taskId}.${attempt}`;
  const { traceparent } = stored.entry;
  const span = startSpan(
    'dispatch',
    { runId, job: request.job, taskId, attempt },
    traceparent,
  );
  try {
    await publishAttempt(context, stored, prefix, labels);
  } catch (error) {
    endSpan(span, String(error));
    throw error;
  }
  endSpan(span);
  const subject = Subjects.dispatch(request.spec.pool, labels);
  log.info(
    { ...taskFields({ runId, taskId, attempt }), subject },
    'Dispatched task attempt',
  );

  // A conflict means a result already moved the task on (a fast sandbox
  // can answer before this line runs); its state is the newer one.
  const marked = await store.update(
    key,
    {
      ...stored.entry,
      dispatched: true,
      ...(labels.length === 0 ? {} : { queueLabels: [...labels] }),
    },
    stored.revision,
  );
  if (marked === undefined) {
    log.debug(
      { ...taskFields({ runId, taskId, attempt }), subject },
      'Task entry changed while dispatching; kept the newer state',
    );
  }
  return marked;
}

/** Publishes the attempt's events and its dispatch, in that order. */
async function publishAttempt(
  context: SchedulerContext,
  stored: StoredTask<ActiveTaskEntry>,
  prefix: string,
  labels: readonly string[],
): Promise<void> {
  const { js } = context;
  const { request, attempt, traceparent } = stored.entry;
  const { runId, taskId } = request;
  if (attempt > 1) {
    await publishEvent(
      js,
      runId,
      'task.retrying',
      {
        taskId,
        attempt,
        reason: stored.entry.retryReason ?? 'the previous attempt failed',
      },
      `${prefix}.retrying`,
    );
  }
  // The event goes first, so that the history never shows a sandbox
  // starting an attempt before its dispatch; should the scheduler die in
  // between, the redelivered message publishes the dispatch.
  await publishEvent(
    js,
    runId,
    'task.dispatched',
    {
      taskId,
      attempt,
      pool: request.spec.pool,
      ...(labels.length === 0 ? {} : { labels: [...labels] }),
    },
    `${prefix}.dispatched`,
  );
  await publishDispatch(
    js,
    {
      runId,
      taskId,
      job: request.job,
      name: request.name,
      attempt,
      spec: request.spec,
    },
    labels,
    traceparent,
  );
}
