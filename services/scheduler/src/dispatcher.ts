import type { KV } from '@nats-io/kv';
import {
  Buckets,
  encode,
  labelSet,
  type PoolSummary,
  SCHEMA_VERSION,
  Subjects,
  type TaskResult,
} from '@river/protocol';
import {
  encodeJsonValue,
  followBucket,
  notRunOutcome,
  publishEvent,
  publishWithRetry,
  taskFields,
} from '@river/protocol/internal';
import { dispatchAttempt, type SchedulerContext } from './dispatch.js';
import { type FleetView, queueId } from './fleet.js';
import type { Lease } from './lease.js';
import {
  type Hold,
  placeTasks,
  type QueueState,
  type WaitingTask,
} from './placement.js';
import {
  type ActiveTaskEntry,
  decodeTaskEntry,
  isFinished,
} from './task-entry.js';
import type { StoredTask } from './task-store.js';

/** How often the dispatcher looks again without news: expiries, summaries. */
const TICK_MS = 1_000;

/** The sandbox id the scheduler signs results of tasks it never dispatched. */
export const SCHEDULER_SANDBOX_ID = 'scheduler';

/** What the dispatcher needs besides the handlers' context. */
export interface DispatcherOptions {
  /** The tasks bucket, watched for tasks to place. */
  tasks: KV;
  /** The schedulers bucket, where pool summaries go. */
  schedulers: KV;
  fleet: FleetView;
  /**
   * How many tasks a queue may hold per slot of its live sandboxes,
   * running or waiting (`RIVER_QUEUE_AHEAD`).
   */
  queueAhead: number;
  /** This replica's name, written into pool summaries. */
  replica: string;
}

/**
 * Places waiting tasks on their pools' queues while this replica holds
 * the dispatcher lease. It keeps every task in flight in memory, from a
 * watch of the tasks bucket (so it takes over from another replica with
 * nothing to hand on), and each pass:
 *
 * - gives each queue only as many tasks as `queueAhead` times its live
 *   slots, so that a run submitted later is not stuck behind a large
 *   one, while a fleet that scales on the queue's lag still sees demand;
 * - orders tasks by priority, fair share between runs, labels and
 *   concurrency limits ({@link placeTasks});
 * - says once in a task's events why it waits, when no live sandbox can
 *   take it or a limit holds it;
 * - finishes tasks of cancelled runs that were never dispatched;
 * - writes each pool's summary for `river status`.
 */
export class Dispatcher {
  readonly #context: SchedulerContext;
  readonly #options: DispatcherOptions;
  readonly #active = new Map<string, StoredTask<ActiveTaskEntry>>();
  /** Per task key, the `attempt cause` whose wait was reported. */
  readonly #reported = new Map<string, string>();
  /** Tasks whose cancellation result was published, per attempt. */
  readonly #cancelling = new Map<string, number>();
  #lease: Lease | undefined;
  #stopWatch: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastSummaryAt = 0;
  /** The pools whose summaries this replica wrote last time. */
  #summarised = new Set<string>();
  /**
   * The bucket's last revision when the watch began: until the watch has
   * brought it, the tasks in memory are not all the tasks in flight, and
   * placing them could exceed a concurrency limit.
   */
  #replayedUpTo = 0;
  #replayed = false;

  constructor(context: SchedulerContext, options: DispatcherOptions) {
    this.#context = context;
    this.#options = options;
  }

  /** Starts watching the tasks bucket; places tasks while `lease` is held. */
  async start(lease: Lease): Promise<void> {
    this.#lease = lease;
    const { state } = (await this.#options.tasks.status()).streamInfo;
    this.#replayedUpTo = state.messages === 0 ? 0 : state.last_seq;
    this.#replayed = this.#replayedUpTo === 0;
    const followed = followBucket(
      this.#options.tasks,
      Buckets.tasks,
      (entry) => {
        // Nothing pending, or the last revision there was: caught up.
        if (entry.delta === 0 || entry.revision >= this.#replayedUpTo) {
          this.#replayed = true;
        }
        this.#take(entry.key, entry.operation, entry.value, entry.revision);
      },
      this.#context.log,
    );
    this.#stopWatch = () => followed.stop();
    const tick = () => {
      this.wake();
      if (!this.#stopped) {
        this.#timer = setTimeout(tick, TICK_MS);
      }
    };
    tick();
  }

  /**
   * Takes a task that now waits, written by this replica, without
   * waiting for the watch to bring it (which then changes nothing). Only
   * while dispatching: another replica's copy comes by the watch anyway.
   */
  offer(key: string, stored: StoredTask<ActiveTaskEntry>): void {
    const known = this.#active.get(key);
    if (
      this.#lease?.held() !== true ||
      (known !== undefined && known.revision >= stored.revision)
    ) {
      return;
    }
    this.#active.set(key, stored);
    this.wake();
  }

  /** Asks for a pass soon: something changed. */
  wake(): void {
    if (this.#stopped || !this.#replayed || this.#lease?.held() !== true) {
      return;
    }
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .catch((error: unknown) =>
        this.#context.log.error({ err: error }, 'Dispatch pass failed'),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          setImmediate(() => this.wake());
        }
      });
  }

  /** Stops placing and watching; waits for a pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopWatch?.();
    await this.#running;
  }

  /** Keeps the in-memory copy of one entry of the tasks bucket. */
  #take(key: string, operation: string, value: Uint8Array, revision: number) {
    const known = this.#active.get(key);
    if (known !== undefined && known.revision >= revision) {
      return;
    }
    let entry: ReturnType<typeof decodeTaskEntry> | undefined;
    if (operation === 'PUT') {
      try {
        entry = decodeTaskEntry(key, value);
      } catch (error) {
        this.#context.log.warn(
          { err: error, key },
          'Skipped an unreadable task entry',
        );
      }
    }
    if (entry === undefined || isFinished(entry)) {
      this.#active.delete(key);
      this.#reported.delete(key);
      this.#cancelling.delete(key);
    } else {
      this.#active.set(key, { entry, revision });
    }
    this.wake();
  }

  async #pass(): Promise<void> {
    const now = Date.now();
    const { queues, perRun, perKey, waiting, stranded } = this.#tally(now);
    const placement = placeTasks(waiting, [...queues.values()], {
      perRun,
      perKey,
    });
    for (const { task, queue } of placement.dispatches) {
      if (this.#lease?.held() !== true || this.#stopped) {
        return;
      }
      await this.#dispatch(task.key, queue.labels);
    }
    for (const hold of placement.holds) {
      await this.#report(hold);
    }
    if (now - this.#lastSummaryAt >= TICK_MS) {
      this.#lastSummaryAt = now;
      await this.#summarise(queues, waiting, placement.holds, stranded, now);
    }
  }

  /** What is dispatched where, and what waits, from the entries in memory. */
  #tally(now: number) {
    const fleetQueues = this.#options.fleet.queues(now);
    const dispatchedTo = new Map<string, number>();
    const perRun = new Map<string, number>();
    const perKey = new Map<string, number>();
    const waiting: WaitingTask[] = [];
    for (const [key, { entry }] of this.#active) {
      const { request } = entry;
      const { spec } = request;
      if (entry.dispatched) {
        const id = queueId(spec.pool, entry.queueLabels ?? []);
        dispatchedTo.set(id, (dispatchedTo.get(id) ?? 0) + 1);
        perRun.set(request.runId, (perRun.get(request.runId) ?? 0) + 1);
        for (const { key: limit } of spec.concurrency ?? []) {
          perKey.set(limit, (perKey.get(limit) ?? 0) + 1);
        }
        continue;
      }
      if (this.#cancelling.get(key) === entry.attempt) {
        continue;
      }
      const cancelled = this.#context.cancelReason(request);
      if (cancelled !== undefined) {
        void this.#cancel(key, entry, cancelled);
        continue;
      }
      waiting.push({
        key,
        runId: request.runId,
        pool: spec.pool,
        labels: labelSet(spec.labels ?? []),
        priority: (request.runPriority ?? 0) + (spec.priority ?? 0),
        requestedAt: request.requestedAt,
        sequence: Number(/-(\d+)$/.exec(request.taskId)?.[1] ?? 0),
        concurrency: spec.concurrency ?? [],
      });
    }
    const queues = new Map<string, QueueState>();
    for (const [id, queue] of fleetQueues) {
      const capacity = queue.slots * this.#options.queueAhead;
      queues.set(id, {
        pool: queue.pool,
        labels: queue.labels,
        slots: queue.slots,
        room: capacity - (dispatchedTo.get(id) ?? 0),
      });
    }
    // Dispatched to a queue whose sandboxes are all gone: they wait there.
    const stranded = new Map<string, number>();
    for (const [id, count] of dispatchedTo) {
      if (!fleetQueues.has(id)) {
        stranded.set(id, count);
      }
    }
    for (const [key, { entry }] of this.#active) {
      const { spec } = entry.request;
      const id = queueId(spec.pool, entry.queueLabels ?? []);
      if (entry.dispatched && stranded.has(id)) {
        void this.#stranded(key, entry);
      }
    }
    return { queues, perRun, perKey, waiting, stranded };
  }

  async #dispatch(key: string, labels: readonly string[]): Promise<void> {
    const stored = this.#active.get(key);
    if (stored === undefined || stored.entry.dispatched) {
      return;
    }
    const revision = await dispatchAttempt(this.#context, key, stored, labels);
    if (revision === undefined) {
      return;
    }
    this.#active.set(key, {
      entry: {
        ...stored.entry,
        dispatched: true,
        ...(labels.length === 0 ? {} : { queueLabels: [...labels] }),
      },
      revision,
    });
  }

  /**
   * Finishes a task of a cancelled run that was never dispatched, through
   * the results queue like any attempt's end, so that the task's cache
   * flight and tombstone are settled the one usual way.
   */
  async #cancel(
    key: string,
    entry: ActiveTaskEntry,
    reason: string,
  ): Promise<void> {
    this.#cancelling.set(key, entry.attempt);
    const { runId, taskId } = entry.request;
    const result: TaskResult = {
      schema: SCHEMA_VERSION,
      runId,
      taskId,
      attempt: entry.attempt,
      sandboxId: SCHEDULER_SANDBOX_ID,
      finishedAt: Date.now(),
      outcome: notRunOutcome(
        'cancelled',
        `Not dispatched: the run was cancelled (${reason}).`,
      ),
    };
    try {
      await publishWithRetry(
        this.#context.js,
        Subjects.taskResult,
        encode('taskResult', result),
        `${runId}.${taskId}.${entry.attempt}.cancelled-unsent`,
      );
    } catch (error) {
      this.#cancelling.delete(key);
      this.#context.log.warn(
        { ...taskFields(entry.request), err: error },
        'Could not finish a cancelled task that waited',
      );
    }
  }

  /**
   * A task dispatched to a queue that no live sandbox reads any more (they
   * stopped or died): it waits there, which its events now say once; when
   * its run is cancelled, it is finished as cancelled.
   */
  async #stranded(key: string, entry: ActiveTaskEntry): Promise<void> {
    const cancelled = this.#context.cancelReason(entry.request);
    if (cancelled !== undefined) {
      if (this.#cancelling.get(key) !== entry.attempt) {
        await this.#cancel(key, entry, cancelled);
      }
      return;
    }
    const { attempt, request, queueLabels = [] } = entry;
    const mark = `${attempt} stranded`;
    if (this.#reported.get(key) === mark) {
      return;
    }
    this.#reported.set(key, mark);
    const { runId, taskId } = request;
    const labels =
      queueLabels.length === 0 ? '' : ` with labels ${queueLabels.join(', ')}`;
    const reason =
      `dispatched to the sandboxes of pool ${request.spec.pool}${labels}, ` +
      'none of which is live any more: it waits in their queue for one';
    await publishEvent(
      this.#context.js,
      runId,
      'task.queued',
      { taskId, attempt, cause: 'no-sandbox', reason },
      `${runId}.${taskId}.${attempt}.queued.stranded`,
    );
    this.#context.log.warn(
      { ...taskFields({ runId, taskId, attempt }), reason },
      'Task waits in a queue without sandboxes',
    );
  }

  /** Says in the task's events why it waits, once per attempt and cause. */
  async #report({ task, cause, reason }: Hold): Promise<void> {
    const stored = this.#active.get(task.key);
    if (stored === undefined) {
      return;
    }
    const { attempt, request } = stored.entry;
    const mark = `${attempt} ${cause}`;
    if (this.#reported.get(task.key) === mark) {
      return;
    }
    this.#reported.set(task.key, mark);
    const { runId, taskId } = request;
    await publishEvent(
      this.#context.js,
      runId,
      'task.queued',
      { taskId, attempt, cause, reason },
      `${runId}.${taskId}.${attempt}.queued.${cause}`,
    );
    this.#context.log.info(
      { ...taskFields({ runId, taskId, attempt }), cause, reason },
      'Task waits for its dispatch',
    );
  }

  /** Writes each pool's summary for `river status`. */
  async #summarise(
    queues: ReadonlyMap<string, QueueState>,
    waiting: readonly WaitingTask[],
    holds: readonly Hold[],
    stranded: ReadonlyMap<string, number>,
    now: number,
  ): Promise<void> {
    const fleet = this.#options.fleet.queues(now);
    const pools = new Map<string, PoolSummary>();
    const poolOf = (pool: string): PoolSummary => {
      let summary = pools.get(pool);
      if (summary === undefined) {
        summary = {
          schema: SCHEMA_VERSION,
          pool,
          waiting: 0,
          unplaceable: 0,
          limited: 0,
          queues: [],
          scheduler: this.#options.replica,
          at: now,
        };
        pools.set(pool, summary);
      }
      return summary;
    };
    for (const [id, queue] of queues) {
      const live = fleet.get(id);
      const capacity = queue.slots * this.#options.queueAhead;
      poolOf(queue.pool).queues.push({
        labels: [...queue.labels],
        sandboxes: live?.sandboxes ?? 0,
        slots: queue.slots,
        busy: live?.busy ?? 0,
        dispatched: Math.max(0, capacity - queue.room),
      });
    }
    for (const [id, count] of stranded) {
      const [pool = id, labels = ''] = id.split(/\.(.*)/s);
      poolOf(pool).queues.push({
        labels: labels === '' ? [] : labels.split('~'),
        sandboxes: 0,
        slots: 0,
        busy: 0,
        dispatched: count,
      });
    }
    for (const task of waiting) {
      poolOf(task.pool).waiting += 1;
    }
    for (const hold of holds) {
      const summary = poolOf(hold.task.pool);
      if (hold.cause === 'no-sandbox') {
        summary.unplaceable += 1;
      } else {
        summary.limited += 1;
      }
    }
    const { schedulers, replica } = this.#options;
    const write = (pool: string, action: Promise<unknown>) =>
      action.catch((error: unknown) =>
        this.#context.log.warn(
          { err: error, pool, replica },
          'Could not write a pool summary',
        ),
      );
    for (const summary of pools.values()) {
      await write(
        summary.pool,
        schedulers.put(`pool.${summary.pool}`, encodeJsonValue(summary)),
      );
    }
    // A pool with no sandbox and no task left is no longer shown.
    for (const pool of this.#summarised) {
      if (!pools.has(pool)) {
        await write(pool, schedulers.delete(`pool.${pool}`));
      }
    }
    this.#summarised = new Set(pools.keys());
  }
}
