import type { RunEvent, RunEventOf } from '@river/protocol';

/** Where a task stands. */
export type TaskState =
  | 'queued'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** Where a job stands. */
export type JobState =
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** One task as the status display shows it. */
export interface TaskView {
  taskId: string;
  job: string;
  name: string;
  command: string;
  state: TaskState;
  /** The attempt running or last made. */
  attempt: number;
  /** When it was asked for. */
  requestedAt: number;
  /** When its current attempt started, if it has. */
  attemptStartedAt?: number;
  /** How long its last attempt ran, once finished. */
  durationMs?: number;
  /** Whether an attempt failed and another was made. */
  retried: boolean;
  /**
   * While it waits for an identical task to finish (a `task.cache` wait),
   * which one, as the scheduler said.
   */
  waitingFor?: string;
  /**
   * Why the scheduler holds it back (a `task.queued` event): no live
   * sandbox offers its labels, or a concurrency limit; until dispatched.
   */
  queuedBecause?: string;
  /** Whether its result was reused from the cache (`finished` says whence). */
  cached: boolean;
  /** Its final event, once finished. */
  finished?: RunEventOf<'task.finished'>;
}

/** One job as the status display shows it. */
export interface JobView {
  name: string;
  state: JobState;
  startedAt?: number;
  durationMs?: number;
  error?: string;
  /** Its tasks in the order they were asked for. */
  tasks: TaskView[];
}

/**
 * A run's state as its events tell it, for the status display: jobs in
 * the project's order with their tasks. It only reads events, so the
 * same events always give the same view.
 */
export class RunView {
  runId = '';
  project = '';
  file = '';
  submittedAt?: number;
  finished?: RunEventOf<'run.finished'>;
  /** The time of the latest event, the display's clock for a replay. */
  lastEventAt = 0;
  readonly jobs = new Map<string, JobView>();
  readonly tasks = new Map<string, TaskView>();
  /** Changes to tasks whose request is not recorded yet, in order. */
  readonly #early = new Map<string, ((task: TaskView) => void)[]>();
  /** Events applied so far. */
  eventCount = 0;

  /** Takes one event into the view. */
  apply(event: RunEvent): void {
    this.eventCount += 1;
    this.runId = event.runId;
    this.lastEventAt = Math.max(this.lastEventAt, event.at);
    switch (event.type) {
      case 'run.submitted':
        this.file = event.file;
        this.submittedAt = event.at;
        break;
      case 'run.started':
        this.project = event.project;
        for (const outline of event.jobs) {
          this.#job(outline.name);
        }
        break;
      case 'job.started': {
        const job = this.#job(event.job);
        job.state = 'running';
        job.startedAt = event.at;
        break;
      }
      case 'job.finished': {
        const job = this.#job(event.job);
        job.state = event.status;
        job.durationMs = event.durationMs;
        if (event.error !== undefined) {
          job.error = event.error;
        }
        break;
      }
      case 'task.requested':
        this.#request(event);
        break;
      case 'task.queued':
        this.#onTask(event.taskId, (task) => {
          task.queuedBecause = event.reason;
        });
        break;
      case 'task.dispatched':
        this.#onTask(event.taskId, (task) => {
          delete task.queuedBecause;
        });
        break;
      case 'task.started':
        this.#onTask(event.taskId, (task) => {
          task.state = 'running';
          task.attempt = event.attempt;
          task.attemptStartedAt = event.at;
        });
        break;
      case 'task.cache':
        this.#onTask(event.taskId, (task) => {
          if (event.result === 'wait') {
            task.waitingFor = event.changes[0] ?? 'an identical task';
          } else {
            delete task.waitingFor;
          }
        });
        break;
      case 'task.retrying':
        this.#onTask(event.taskId, (task) => {
          task.state = 'retrying';
          task.attempt = event.attempt;
          task.retried = true;
          delete task.attemptStartedAt;
        });
        break;
      case 'task.finished':
        this.#onTask(event.taskId, (task) => {
          task.attempt = event.attempt;
          task.durationMs = event.outcome.durationMs;
          task.finished = event;
          task.cached = event.cached !== undefined;
          delete task.waitingFor;
          task.state = event.outcome.ok
            ? 'succeeded'
            : event.outcome.reason === 'cancelled'
              ? 'cancelled'
              : 'failed';
        });
        break;
      case 'run.finished':
        this.finished = event;
        break;
      default:
        break;
    }
  }

  /** Tasks in the order they were asked for. */
  allTasks(): IterableIterator<TaskView> {
    return this.tasks.values();
  }

  #job(name: string): JobView {
    let job = this.jobs.get(name);
    if (job === undefined) {
      job = { name, state: 'waiting', tasks: [] };
      this.jobs.set(name, job);
    }
    return job;
  }

  #request(event: RunEventOf<'task.requested'>): void {
    if (this.tasks.has(event.taskId)) {
      return;
    }
    const task: TaskView = {
      taskId: event.taskId,
      job: event.job,
      name: event.name,
      command: event.command,
      state: 'queued',
      attempt: 1,
      requestedAt: event.at,
      retried: false,
      cached: false,
    };
    this.tasks.set(event.taskId, task);
    this.#job(event.job).tasks.push(task);
    for (const change of this.#early.get(event.taskId) ?? []) {
      change(task);
    }
    this.#early.delete(event.taskId);
  }

  #onTask(taskId: string, change: (task: TaskView) => void): void {
    const task = this.tasks.get(taskId);
    if (task !== undefined) {
      change(task);
      return;
    }
    // The controller records a request after sending it, so a task
    // answered at once from the cache can end before it is recorded.
    const early = this.#early.get(taskId) ?? [];
    early.push(change);
    this.#early.set(taskId, early);
  }
}
