import type { JsMsg } from '@nats-io/jetstream';
import type { TaskRequest } from '@river/protocol';
import { taskFields, traceparentFrom } from '@river/protocol/internal';
import { consultCache } from './cache-requests.js';
import type { SchedulerContext } from './dispatch.js';
import { contended, MAX_CONFLICT_RETRIES } from './retry.js';
import { type ActiveTaskEntry, isFinished, taskKey } from './task-entry.js';

/**
 * Stores a task request, whose first attempt then waits for the
 * dispatcher (see `dispatcher.ts`) to place it. A request seen before (a
 * redelivery, or a second replica) stores nothing new, and neither does
 * one for a task that has finished: its tombstone stays in the tasks
 * bucket for `RIVER_TASK_TTL_DAYS`.
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
      if (found === undefined && request.cache !== undefined && !consulted) {
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
      if (found !== undefined) {
        log.debug(
          { ...fields, attempt: found.entry.attempt },
          'Ignored repeated task request',
        );
        return;
      }
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
      log.info(fields, 'Accepted task request');
      context.queued(key, { entry, revision });
      return;
    }
    throw contended(key);
  };
}
