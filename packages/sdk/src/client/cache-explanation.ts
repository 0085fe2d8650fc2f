import type { CacheOrigin } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';
import { runEventsOfType, type SequencedEventOf } from './stored-events.js';

/** Task ids a message lists at most, when it names a run's tasks. */
const LISTED_TASKS = 10;

/**
 * What the cache did for a task: `hit`, its result was reused; `miss`, it
 * ran; `wait`, it waits (or waited until its run ended) for an identical
 * task; `unused`, it finished without a cache lookup (it did not opt in,
 * and its run retries none); `pending`, no lookup yet, as it has not
 * reached a scheduler or does not use the cache.
 */
export type CacheVerdict = 'hit' | 'miss' | 'wait' | 'unused' | 'pending';

/** How a task of a run used the task cache, from the run's events. */
export interface TaskCacheExplanation {
  runId: string;
  taskId: string;
  /** The task's display name. */
  name: string;
  job: string;
  verdict: CacheVerdict;
  /** For a hit: the attempt whose result was reused. */
  from: CacheOrigin | undefined;
  /**
   * For a miss, what differs from the task's last request (for example
   * `input src/util.c changed`); for a wait, which task it waits for.
   */
  changes: string[];
  /** Whether it waited for an identical task before its verdict. */
  waited: boolean;
  /** The task's `task.cache` events in order: none, or a few. */
  events: SequencedEventOf<'task.cache'>[];
  /** Its `task.finished` event, once it has finished. */
  finished: SequencedEventOf<'task.finished'> | undefined;
}

/**
 * Tells how task `task` of run `runId` used the task cache. `task` is a
 * task id (`build-debug-1`), a task's name when one task of the run has
 * that name, or a job's name when the job asked for one task.
 *
 * @throws RiverError (code NOT_FOUND) when the run has no task of that id
 *   or name; (code INVALID_ARGUMENT) when several tasks have that name,
 *   or it names a job that asked for several.
 */
export async function explainTaskCache(
  connection: RiverConnection,
  runId: string,
  task: string,
): Promise<TaskCacheExplanation> {
  const requested = await runEventsOfType(connection, runId, 'task.requested');
  const request = findTask(runId, task, requested);
  const { taskId } = request;
  const events = (
    await runEventsOfType(connection, runId, 'task.cache')
  ).filter((event) => event.taskId === taskId);
  const finished = await finishedEvent(connection, runId, taskId);

  const last = events.at(-1);
  const from = last?.from ?? finished?.cached;
  let verdict: CacheVerdict;
  if (last !== undefined) {
    verdict = last.result;
  } else if (finished?.cached !== undefined) {
    verdict = 'hit';
  } else {
    verdict = finished === undefined ? 'pending' : 'unused';
  }
  return {
    runId,
    taskId,
    name: request.name,
    job: request.job,
    verdict,
    from: verdict === 'hit' ? from : undefined,
    changes: last?.changes ?? [],
    waited: verdict !== 'wait' && events.some((e) => e.result === 'wait'),
    events,
    finished,
  };
}

/**
 * Where the result of task `taskId` of run `runId` was reused from, or
 * undefined when the task ran (or has not finished).
 */
export async function cacheOriginOf(
  connection: RiverConnection,
  runId: string,
  taskId: string,
): Promise<CacheOrigin | undefined> {
  return (await finishedEvent(connection, runId, taskId))?.cached;
}

async function finishedEvent(
  connection: RiverConnection,
  runId: string,
  taskId: string,
): Promise<SequencedEventOf<'task.finished'> | undefined> {
  const finished = await runEventsOfType(connection, runId, 'task.finished');
  return finished.findLast((event) => event.taskId === taskId);
}

/** The request of the task named by id or by name. */
function findTask(
  runId: string,
  task: string,
  requested: SequencedEventOf<'task.requested'>[],
): SequencedEventOf<'task.requested'> {
  const byId = requested.find((event) => event.taskId === task);
  if (byId !== undefined) {
    return byId;
  }
  const byName = requested.filter((event) => event.name === task);
  // The run display shows jobs; a job with one task names it too.
  const byJob = requested.filter((event) => event.job === task);
  const [only] = byName.length > 0 ? byName : byJob;
  if (only !== undefined && (byName.length === 1 || byJob.length === 1)) {
    return only;
  }
  if (byName.length === 0 && byJob.length > 1) {
    throw new RiverError(
      RiverErrorCode.invalidArgument,
      `Job ${task} of run ${runId} asked for ${byJob.length} tasks ` +
        `(${listed(byJob.map((event) => event.taskId))}): name one by ` +
        'its task id.',
    );
  }
  if (byName.length > 1) {
    throw new RiverError(
      RiverErrorCode.invalidArgument,
      `${byName.length} tasks of run ${runId} are named '${task}' ` +
        `(${listed(byName.map((event) => event.taskId))}): name one by ` +
        'its task id.',
    );
  }
  const known =
    requested.length === 0
      ? 'it has asked for no task'
      : `its tasks are ${listed(requested.map((event) => event.taskId))}`;
  throw new RiverError(
    RiverErrorCode.notFound,
    `Run ${runId} has no task or job '${task}': ${known}.`,
  );
}

/** Up to {@link LISTED_TASKS} ids, and how many more there are. */
function listed(ids: string[]): string {
  const shown = ids.slice(0, LISTED_TASKS).join(', ');
  const more = ids.length - LISTED_TASKS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}
