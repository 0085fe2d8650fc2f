import type { ConcurrencyLimit } from '@river/protocol';

/** A task waiting in the scheduler for its dispatch. */
export interface WaitingTask {
  /** `<runId>.<taskId>`, its key in the tasks bucket. */
  key: string;
  runId: string;
  pool: string;
  /** The labels it asks for, sorted. */
  labels: readonly string[];
  /** Its run's priority plus its own: higher goes first. */
  priority: number;
  /** When it was requested: the earlier goes first at one priority. */
  requestedAt: number;
  /**
   * Orders a run's tasks requested in the same millisecond: the task's
   * number within its job (`<job>-<n>`), which counts up in the order the
   * job asked. Requests reach the scheduler in parallel, so the order
   * they arrive in is not the order they were made.
   */
  sequence: number;
  concurrency: readonly ConcurrencyLimit[];
}

/** A dispatch queue: a pool's live sandboxes offering one label set. */
export interface QueueState {
  pool: string;
  /** The labels its sandboxes offer, sorted. */
  labels: readonly string[];
  /** Slots of its live sandboxes that take work. */
  slots: number;
  /** Tasks it may be given now: its capacity less what it holds. */
  room: number;
}

/** Why a task cannot be dispatched yet, when it is not only a full queue. */
export interface Hold {
  task: WaitingTask;
  cause: 'no-sandbox' | 'concurrency';
  /** A sentence for the task's `task.queued` event and `river status`. */
  reason: string;
}

/** What one pass decided. */
export interface Placement {
  /** Tasks to dispatch now, in order, each with the queue it goes to. */
  dispatches: { task: WaitingTask; queue: QueueState }[];
  /** Tasks held back by something other than a full queue. */
  holds: Hold[];
}

/** What is dispatched and not finished, which placement must respect. */
export interface Load {
  /** Dispatched tasks per run. */
  perRun: ReadonlyMap<string, number>;
  /** Dispatched tasks per concurrency key. */
  perKey: ReadonlyMap<string, number>;
}

/**
 * Decides which waiting tasks go to which queue now.
 *
 * - Priority first: a higher-priority task is offered room before any
 *   lower one.
 * - Fair share at one priority: the run with the fewest dispatched tasks
 *   goes next, so a run of 10,000 tasks does not starve a small one
 *   submitted after it; inside a run, tasks go in the order requested.
 * - Labels: a task goes only to a queue of its pool whose sandboxes offer
 *   every label it asks for; among those, to the one with the most room,
 *   then the fewest labels, keeping specialised sandboxes for the tasks
 *   that need them.
 * - Concurrency limits: a task goes only while fewer than `max` tasks
 *   hold each of its keys, and only when every task requested before it
 *   (at its priority or above) that waits for the key has gone: waiters
 *   keep their order.
 *
 * `queues` is updated in place (`room` is used up).
 */
export function placeTasks(
  waiting: readonly WaitingTask[],
  queues: QueueState[],
  load: Load,
): Placement {
  const ordered = [...waiting].sort(compareTasks);
  const keyWaiters = waitersByKey(ordered);
  const perRun = new Map(load.perRun);
  const perKey = new Map(load.perKey);
  const dispatches: Placement['dispatches'] = [];
  const holds: Hold[] = [];

  for (const level of byPriority(ordered)) {
    const runs = byRun(level);
    while (runs.size > 0) {
      const runId = nextRun(runs, perRun);
      const tasks = runs.get(runId) ?? [];
      const task = tasks.shift();
      if (tasks.length === 0) {
        runs.delete(runId);
      }
      if (task === undefined) {
        continue;
      }
      const candidates = queues.filter((queue) => serves(queue, task));
      if (candidates.length === 0) {
        // It cannot run anywhere yet, so it keeps no one behind it waiting.
        for (const { key } of task.concurrency) {
          keyWaiters.get(key)?.delete(task.key);
        }
        holds.push({ task, cause: 'no-sandbox', reason: noSandbox(task) });
        continue;
      }
      const limited = blockingLimit(task, perKey, keyWaiters);
      if (limited !== undefined) {
        holds.push({
          task,
          cause: 'concurrency',
          reason:
            `waiting for concurrency limit ${limited.key} ` +
            `(at most ${limited.max} at a time)`,
        });
        continue;
      }
      const queue = roomiest(candidates);
      if (queue === undefined) {
        continue;
      }
      queue.room -= 1;
      perRun.set(runId, (perRun.get(runId) ?? 0) + 1);
      for (const { key } of task.concurrency) {
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        keyWaiters.get(key)?.delete(task.key);
      }
      dispatches.push({ task, queue });
    }
  }
  return { dispatches, holds };
}

/** Higher priority first, then the earlier request, then the job's order. */
function compareTasks(a: WaitingTask, b: WaitingTask): number {
  return (
    b.priority - a.priority ||
    a.requestedAt - b.requestedAt ||
    compareText(a.runId, b.runId) ||
    a.sequence - b.sequence ||
    compareText(a.key, b.key)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Each concurrency key's waiters, in the order they may go. */
function waitersByKey(
  ordered: readonly WaitingTask[],
): Map<string, Set<string>> {
  const waiters = new Map<string, Set<string>>();
  for (const task of ordered) {
    for (const { key } of task.concurrency) {
      let set = waiters.get(key);
      if (set === undefined) {
        set = new Set();
        waiters.set(key, set);
      }
      set.add(task.key);
    }
  }
  return waiters;
}

/** Tasks grouped by priority, highest first, keeping their order. */
function byPriority(ordered: readonly WaitingTask[]): WaitingTask[][] {
  const levels: WaitingTask[][] = [];
  for (const task of ordered) {
    const level = levels.at(-1);
    if (level !== undefined && level[0]?.priority === task.priority) {
      level.push(task);
    } else {
      levels.push([task]);
    }
  }
  return levels;
}

function byRun(level: readonly WaitingTask[]): Map<string, WaitingTask[]> {
  const runs = new Map<string, WaitingTask[]>();
  for (const task of level) {
    const tasks = runs.get(task.runId);
    if (tasks === undefined) {
      runs.set(task.runId, [task]);
    } else {
      tasks.push(task);
    }
  }
  return runs;
}

/** The run with the fewest dispatched tasks; the earlier one on a tie. */
function nextRun(
  runs: ReadonlyMap<string, WaitingTask[]>,
  perRun: ReadonlyMap<string, number>,
): string {
  let best: string | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  let bestAt = Number.POSITIVE_INFINITY;
  for (const [runId, tasks] of runs) {
    const load = perRun.get(runId) ?? 0;
    const at = tasks[0]?.requestedAt ?? Number.POSITIVE_INFINITY;
    if (load < bestLoad || (load === bestLoad && at < bestAt)) {
      best = runId;
      bestLoad = load;
      bestAt = at;
    }
  }
  return best ?? '';
}

/** Whether the queue's sandboxes may run the task. */
export function serves(queue: QueueState, task: WaitingTask): boolean {
  return (
    queue.pool === task.pool &&
    queue.slots > 0 &&
    task.labels.every((label) => queue.labels.includes(label))
  );
}

function noSandbox(task: WaitingTask): string {
  return task.labels.length === 0
    ? `no live sandbox of pool ${task.pool} takes work`
    : `no live sandbox of pool ${task.pool} offers labels ` +
        task.labels.join(', ');
}

/** The first of the task's limits that keeps it waiting, if any. */
function blockingLimit(
  task: WaitingTask,
  perKey: ReadonlyMap<string, number>,
  keyWaiters: ReadonlyMap<string, Set<string>>,
): ConcurrencyLimit | undefined {
  return task.concurrency.find((limit) => {
    if ((perKey.get(limit.key) ?? 0) >= limit.max) {
      return true;
    }
    const [first] = keyWaiters.get(limit.key) ?? [];
    return first !== task.key;
  });
}

/** The queue with the most room, then the fewest labels; none if full. */
function roomiest(candidates: readonly QueueState[]): QueueState | undefined {
  let best: QueueState | undefined;
  for (const queue of candidates) {
    if (queue.room <= 0) {
      continue;
    }
    if (
      best === undefined ||
      queue.room > best.room ||
      (queue.room === best.room && queue.labels.length < best.labels.length)
    ) {
      best = queue;
    }
  }
  return best;
}
