/**
 * A run's state as its events tell it: the same fold runs on the gateway
 * (to answer snapshots) and in the browser (to apply live events to one),
 * so both always agree.
 */

/** A run event as JSON: `type`, `runId`, `at` and the type's own fields. */
export interface EventRecord {
  type: string;
  runId: string;
  at: number;
  [field: string]: unknown;
}

/** An event with its sequence in the events stream. */
export interface SequencedRecord {
  seq: number;
  event: EventRecord;
}

/** Where a run is: waiting for a controller, running, or how it ended. */
export type RunStatus =
  | 'submitted'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** Where a job is. */
export type JobStatus =
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** Where a task is. */
export type TaskStatus =
  | 'requested'
  | 'queued'
  | 'dispatched'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** One line of the runs list. */
export interface RunSummary {
  runId: string;
  /** The project's name, once a controller has read the bundle. */
  project?: string;
  /** The project file as its submitter named it. */
  file: string;
  status: RunStatus;
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  error?: string;
  priority?: number;
  /** The run this one retries. */
  retryOf?: string;
  /** Jobs in the project, once known. */
  jobCount?: number;
  /** The sequence of the last event folded in. */
  seq: number;
}

/** One attempt of a task. */
export interface AttemptState {
  attempt: number;
  dispatchedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  sandboxId?: string;
  pool?: string;
  /** `ok`, or the outcome's reason (`exited`, `timeout`, `lost`…). */
  result?: string;
  exitCode?: number | null;
  message?: string;
}

/** One task of a run. */
export interface TaskState {
  taskId: string;
  job: string;
  name: string;
  command: string;
  pool: string;
  status: TaskStatus;
  requestedAt: number;
  /** Why it waits, while it waits for a sandbox or a limit. */
  queuedReason?: string;
  /** Set when its result was reused from the cache. */
  cached?: boolean;
  attempts: AttemptState[];
}

/** One job of a run. */
export interface JobState {
  name: string;
  needs: string[];
  status: JobStatus;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /** Its tasks' ids, in request order. */
  taskIds: string[];
}

/** Everything the run's page shows, folded from its events. */
export interface RunDetail {
  summary: RunSummary;
  /** Jobs in the project's order. */
  jobs: JobState[];
  /** Tasks by id. */
  tasks: Record<string, TaskState>;
  /** Events folded in so far. */
  eventCount: number;
}
