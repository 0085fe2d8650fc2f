import type { RunRecord } from './run-record.js';
import type { ToWorker } from './worker-messages.js';

/** Where a job stands in its run. */
export type JobState =
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** A task the job logic asked for, while it still waits for it. */
export interface WaitedTask {
  requestId: number;
  job: string;
}

/** What the gate needs from the run it serves. */
export interface OutcomeGateHost {
  /** The job's state; undefined before the project is loaded. */
  jobState(job: string): JobState | undefined;
  /** Whether the run is being cancelled. */
  cancelling(): boolean;
  /** Sends a message to the run's job logic. */
  post(message: ToWorker): void;
  /** The job logic no longer matches its history. */
  diverged(job: string, detail: string): void;
}

/**
 * Hands task outcomes to the job logic waiting for them, each job's in the
 * order its history recorded them, on a first run and on a replay alike:
 * the order in which a job's tasks end decides what it asks for next.
 *
 * An outcome waits at the head of its job's queue until the job logic
 * asks for that task. If the job logic has reacted to everything it was
 * sent and still does not ask, it diverged from its history.
 */
export class OutcomeGate {
  readonly #record: RunRecord;
  readonly #host: OutcomeGateHost;
  /** Tasks whose job logic still waits for them, by task id. */
  readonly #waiting = new Map<string, WaitedTask>();
  /** Tasks job logic asked for and then stopped waiting for. */
  readonly #released = new Set<string>();
  /** Open checks that job logic still asks for a recorded task. */
  readonly #checks = new Map<number, { job: string; taskId: string }>();
  #nextToken = 0;

  constructor(record: RunRecord, host: OutcomeGateHost) {
    this.#record = record;
    this.#host = host;
  }

  /** Job logic asked for the task and waits for its outcome. */
  wait(taskId: string, waited: WaitedTask): void {
    this.#waiting.set(taskId, waited);
    this.deliver(waited.job);
  }

  /** The tasks job logic waits for, by task id. */
  waiting(): ReadonlyMap<string, WaitedTask> {
    return this.#waiting;
  }

  /**
   * Job logic no longer waits for the task (cancelled, or its job ended):
   * its outcome will be dropped. Returns what was waited for, if anything.
   */
  release(taskId: string): WaitedTask | undefined {
    const waited = this.#waiting.get(taskId);
    this.#waiting.delete(taskId);
    this.#released.add(taskId);
    if (waited !== undefined) {
      this.deliver(waited.job);
    }
    return waited;
  }

  /** Hands the job logic every outcome of the job it may have now. */
  deliver(job: string): void {
    for (;;) {
      const next = this.#record.nextOutcome(job);
      if (next === undefined) {
        return;
      }
      const waited = this.#waiting.get(next.taskId);
      if (waited === undefined) {
        const state = this.#host.jobState(job);
        if (
          (state !== undefined && state !== 'waiting' && state !== 'running') ||
          this.#released.has(next.taskId) ||
          this.#host.cancelling()
        ) {
          // Nobody will ever ask for it again.
          this.#record.takeOutcome(job);
          continue;
        }
        if (state === 'running') {
          this.#checkStillAsked(job, next.taskId);
        }
        // A job not started yet gets its outcomes once it asks for them.
        return;
      }
      this.#record.takeOutcome(job);
      this.#waiting.delete(next.taskId);
      this.#host.post({
        type: 'task-result',
        requestId: waited.requestId,
        result: {
          taskId: next.taskId,
          attempt: next.attempt,
          outcome: next.outcome,
          ...(next.cached === undefined ? {} : { cached: true }),
        },
        now: next.at,
      });
    }
  }

  /** The job logic has reacted to everything sent before sync `token`. */
  synced(token: number): void {
    const check = this.#checks.get(token);
    this.#checks.delete(token);
    if (check === undefined) {
      return;
    }
    const next = this.#record.nextOutcome(check.job);
    if (next?.taskId !== check.taskId || this.#waiting.has(check.taskId)) {
      this.deliver(check.job);
      return;
    }
    if (this.#host.jobState(check.job) === 'running') {
      this.#host.diverged(
        check.job,
        `its history has task ${check.taskId} (${next.name}) finished at ` +
          'this point, but the replayed job logic never asked for it',
      );
    }
  }

  // Job logic has no timers, so once the worker answers a sync sent after
  // an outcome, it has asked for everything that outcome led it to.
  #checkStillAsked(job: string, taskId: string): void {
    for (const check of this.#checks.values()) {
      if (check.job === job && check.taskId === taskId) {
        return;
      }
    }
    const token = this.#nextToken++;
    this.#checks.set(token, { job, taskId });
    this.#host.post({ type: 'sync', token });
  }
}
