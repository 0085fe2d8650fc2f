import type { RunEvent, RunEventOf } from '@river/protocol';

type TaskFinished = RunEventOf<'task.finished'>;

/** A task as the history first recorded it. */
export interface RecordedTask {
  job: string;
  name: string;
  /** Absent when only the task's outcome was recorded. */
  command?: string;
  /** SHA-256 of its whole spec, when recorded. */
  specDigest?: string;
}

/** How the history says a job ended. */
export interface RecordedJobEnd {
  status: 'succeeded' | 'failed' | 'skipped';
  error?: string;
}

/**
 * What a run's event history says it did, read by the controller that
 * drives it: which events were published (by message id, so that a
 * replay publishes none of them again), which tasks were requested, when
 * jobs started and how they ended, and the outcomes of tasks that job
 * logic has not been given yet, in the order they were recorded.
 */
export class RunRecord {
  /** Message ids of every event in the history. */
  readonly #published = new Set<string>();
  readonly #tasks = new Map<string, RecordedTask>();
  readonly #outcomeSeen = new Set<string>();
  /** Outcomes not handed to job logic yet, per job, in history order. */
  readonly #undelivered = new Map<string, TaskFinished[]>();
  readonly #jobStarts = new Map<string, number>();
  readonly #jobEnds = new Map<string, RecordedJobEnd>();
  #submittedAt: number | undefined;
  #started: RunEventOf<'run.started'> | undefined;
  #finished: RunEventOf<'run.finished'> | undefined;

  /** Takes one event of the history, in stream order. */
  note(event: RunEvent, msgId: string | undefined): void {
    if (msgId !== undefined) {
      this.#published.add(msgId);
    }
    switch (event.type) {
      case 'run.submitted':
        this.#submittedAt ??= event.at;
        return;
      case 'run.started':
        this.#started ??= event;
        return;
      case 'run.finished':
        this.#finished ??= event;
        return;
      case 'job.started':
        this.#jobStarts.set(event.job, event.at);
        return;
      case 'job.finished':
        this.#jobEnds.set(event.job, {
          status: event.status,
          ...(event.error === undefined ? {} : { error: event.error }),
        });
        return;
      case 'task.requested':
        this.#tasks.set(event.taskId, {
          job: event.job,
          name: event.name,
          command: event.command,
          ...(event.specDigest === undefined
            ? {}
            : { specDigest: event.specDigest }),
        });
        return;
      case 'task.finished': {
        if (this.#outcomeSeen.has(event.taskId)) {
          return;
        }
        this.#outcomeSeen.add(event.taskId);
        if (!this.#tasks.has(event.taskId)) {
          this.#tasks.set(event.taskId, { job: event.job, name: event.name });
        }
        const queue = this.#undelivered.get(event.job) ?? [];
        queue.push(event);
        this.#undelivered.set(event.job, queue);
        return;
      }
      default:
        return;
    }
  }

  /** Whether an event with this message id is in the history. */
  published(msgId: string): boolean {
    return this.#published.has(msgId);
  }

  /** The task the history holds under this id, if any. */
  task(taskId: string): RecordedTask | undefined {
    return this.#tasks.get(taskId);
  }

  /** Whether the task's outcome is in the history. */
  finished(taskId: string): boolean {
    return this.#outcomeSeen.has(taskId);
  }

  /** Ids of the tasks the history holds a request but no outcome for. */
  unfinishedTasks(): string[] {
    return [...this.#tasks.keys()].filter((id) => !this.#outcomeSeen.has(id));
  }

  /** The job's oldest outcome that job logic has not been given. */
  nextOutcome(job: string): TaskFinished | undefined {
    return this.#undelivered.get(job)?.[0];
  }

  /** Marks the job's oldest undelivered outcome as handed over. */
  takeOutcome(job: string): void {
    this.#undelivered.get(job)?.shift();
  }

  /** When the history says the job started. */
  jobStartedAt(job: string): number | undefined {
    return this.#jobStarts.get(job);
  }

  /** How the history says the job ended, if it did. */
  jobEnd(job: string): RecordedJobEnd | undefined {
    return this.#jobEnds.get(job);
  }

  /** When the run was submitted, if the history says. */
  get submittedAt(): number | undefined {
    return this.#submittedAt;
  }

  /** The run's start event, when a controller got that far. */
  get started(): RunEventOf<'run.started'> | undefined {
    return this.#started;
  }

  /** The run's final event, when it has one. */
  get finishedEvent(): RunEventOf<'run.finished'> | undefined {
    return this.#finished;
  }
}
