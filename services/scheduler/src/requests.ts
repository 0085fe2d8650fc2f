import type { JsMsg } from '@nats-io/jetstream';
import type { TaskRequest } from '@river/protocol';
import { taskFields, traceparentFrom } from '@river/protocol/internal';
import { consultCache } from './cache-requests.js';
import { dispatchAttempt, type SchedulerContext } from './dispatch.js';
import { contended, MAX_CONFLICT_RETRIES } from './retry.js';
import { type ActiveTaskEntry, isFinished, taskKey } from './task-entry.js';
import type { StoredTask } from './task-store.js';

/**
 * Stores a task request and dispatches its first attempt. A request seen
 * before (a redelivery, or a second replica) dispatches nothing new, and
 * neither does one for a task that has finished: its tombstone stays in
 * the tasks bucket for `RIVER_TASK_TTL_DAYS`.
 */
export function createRequestHandler(context: SchedulerContext) {
  const { store, log } = context;

  return async (
    request: TaskRequest,
    msg: JsMsg,
  ): Promise<'handled' | undefined> => {
    const key = taskKey(request);
    const fields = { ...taskFields(request), subject: msg.subject };
    let consulted = false;

    for (let round = 0; round < MAX_CONFLICT_RETRIES; round++) {
      const found = await store.read(key);
      if (found !== undefined && isFinished(found.entry)) {
        // Its task.finished event is in the history already; running the
        // task again would give the job a second, different answer.
        log.info(
          { ...fields, attempt: found.entry.attempt },
          'Ignored request of a finished task',
        );
        return;
      }
      let stored = found as StoredTask<ActiveTaskEntry> | undefined;
      if (stored === undefined && request.cache !== undefined && !consulted) {
        consulted = true;
        const cache = request.cache;
        const verdict = await consultCache(
          context,
          { ...request, cache },
          msg,
          fields,
        );
        if (verdict === 'waiting') {
          return 'handled';
        }
        if (verdict !== 'run') {
          return;
        }
      }
      if (stored === undefined) {
        const traceparent = traceparentFrom(msg.headers);
        const entry: ActiveTaskEntry = {
          request,
          attempt: 1,
          dispatched: false,
          ...(traceparent === undefined ? {} : { traceparent }),
        };
        const revision = await store.create(key, entry);
        if (revision === undefined) {
          continue;
        }
        stored = { entry, revision };
        log.info(fields, 'Accepted task request');
      }

      if (stored.entry.dispatched) {
        log.debug(
          { ...fields, attempt: stored.entry.attempt },
          'Ignored repeated task request',
        );
        return;
      }
      await dispatchAttempt(context, key, stored);
      return;
    }
    throw contended(key);
  };
}
