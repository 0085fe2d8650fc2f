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

const FINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
]);

/** Whether a run has ended. */
export function isRunFinished(status: RunStatus): boolean {
  return FINAL_RUN_STATUSES.has(status);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * A run's list line after one more of its events. Only `run.*` events
 * change it; a record at or below the summary's `seq` is a repeat and is
 * ignored. Returns `summary` itself, changed, once it exists.
 */
export function foldSummary(
  summary: RunSummary | undefined,
  record: SequencedRecord,
): RunSummary {
  const { event, seq } = record;
  const line: RunSummary = summary ?? {
    runId: event.runId,
    file: '',
    status: 'submitted',
    submittedAt: event.at,
    seq: 0,
  };
  if (seq <= line.seq) {
    return line;
  }
  line.seq = seq;
  switch (event.type) {
    case 'run.submitted': {
      line.file = text(event.file) ?? line.file;
      line.submittedAt = event.at;
      const priority = count(event.priority);
      if (priority !== undefined) line.priority = priority;
      const retryOf = text(event.retryOf);
      if (retryOf !== undefined) line.retryOf = retryOf;
      break;
    }
    case 'run.started': {
      const project = text(event.project);
      if (project !== undefined) line.project = project;
      line.startedAt ??= event.at;
      if (Array.isArray(event.jobs)) line.jobCount = event.jobs.length;
      if (!isRunFinished(line.status)) line.status = 'running';
      break;
    }
    case 'run.finished': {
      const status = text(event.status);
      if (status === 'succeeded' || status === 'failed') {
        line.status = status;
      } else {
        line.status = 'cancelled';
      }
      line.finishedAt = event.at;
      const duration = count(event.durationMs);
      if (duration !== undefined) line.durationMs = duration;
      const error = text(event.error);
      if (error !== undefined) line.error = error;
      break;
    }
  }
  return line;
}

function attemptOf(task: TaskState, attempt: unknown): AttemptState {
  const number = typeof attempt === 'number' ? attempt : 1;
  let state = task.attempts.find((found) => found.attempt === number);
  if (state === undefined) {
    state = { attempt: number };
    task.attempts.push(state);
    task.attempts.sort((a, b) => a.attempt - b.attempt);
  }
  return state;
}

/**
 * Jobs by name for each state, kept beside it rather than in it so that a
 * state stays plain JSON; thousands of jobs would make a search per event
 * quadratic.
 */
const jobIndexes = new WeakMap<RunDetail, Map<string, JobState>>();

function jobOf(detail: RunDetail, name: string): JobState {
  let index = jobIndexes.get(detail);
  if (index === undefined || index.size !== detail.jobs.length) {
    index = new Map(detail.jobs.map((job) => [job.name, job]));
    jobIndexes.set(detail, index);
  }
  let job = index.get(name);
  if (job === undefined) {
    // A job the outline did not name (an event before run.started, or an
    // older controller's history) still gets a line.
    job = { name, needs: [], status: 'waiting', taskIds: [] };
    detail.jobs.push(job);
    index.set(name, job);
  }
  return job;
}

interface Outcome {
  ok?: unknown;
  reason?: unknown;
  exitCode?: unknown;
  message?: unknown;
}

function foldTask(detail: RunDetail, event: EventRecord): void {
  const taskId = text(event.taskId);
  if (taskId === undefined) {
    return;
  }
  let task = detail.tasks[taskId];
  if (task === undefined) {
    task = {
      taskId,
      job: '',
      name: taskId,
      command: '',
      pool: 'default',
      status: 'requested',
      requestedAt: event.at,
      attempts: [],
    };
    detail.tasks[taskId] = task;
  }
  if (event.type === 'task.requested') {
    // The scheduler's events may be stored before the controller's
    // request: the request fills in what they could not tell.
    task.name = text(event.name) ?? task.name;
    task.command = text(event.command) ?? task.command;
    task.pool = text(event.pool) ?? task.pool;
    task.requestedAt = Math.min(task.requestedAt, event.at);
  }
  const job = text(event.job);
  if (task.job === '' && job !== undefined && job !== '') {
    task.job = job;
    jobOf(detail, job).taskIds.push(taskId);
  }
  switch (event.type) {
    case 'task.queued':
      task.status = 'queued';
      task.queuedReason = text(event.reason) ?? '';
      attemptOf(task, event.attempt);
      break;
    case 'task.dispatched': {
      const attempt = attemptOf(task, event.attempt);
      attempt.dispatchedAt = event.at;
      attempt.pool = text(event.pool) ?? task.pool;
      task.status = 'dispatched';
      delete task.queuedReason;
      break;
    }
    case 'task.started': {
      const attempt = attemptOf(task, event.attempt);
      attempt.startedAt = event.at;
      const sandbox = text(event.sandboxId);
      if (sandbox !== undefined) attempt.sandboxId = sandbox;
      task.status = 'running';
      break;
    }
    case 'task.lost': {
      const attempt = attemptOf(task, event.attempt);
      attempt.finishedAt = event.at;
      attempt.result = 'lost';
      const reason = text(event.reason);
      if (reason !== undefined) attempt.message = reason;
      break;
    }
    case 'task.retrying':
      task.status = 'retrying';
      attemptOf(task, event.attempt);
      break;
    case 'task.cache':
      if (event.result === 'hit') task.cached = true;
      break;
    case 'task.finished': {
      const attempt = attemptOf(task, event.attempt);
      const outcome = (event.outcome ?? {}) as Outcome;
      attempt.finishedAt = event.at;
      attempt.result =
        outcome.ok === true ? 'ok' : (text(outcome.reason) ?? 'failed');
      if (typeof outcome.exitCode === 'number' || outcome.exitCode === null) {
        attempt.exitCode = outcome.exitCode;
      }
      const message = text(outcome.message);
      if (message !== undefined) attempt.message = message;
      if (event.cached !== undefined) task.cached = true;
      task.status =
        outcome.ok === true
          ? 'succeeded'
          : outcome.reason === 'cancelled'
            ? 'cancelled'
            : 'failed';
      break;
    }
  }
}

/**
 * A run's whole state after one more of its events. A record at or below
 * the state's `seq` is a repeat and is ignored. Returns `detail` itself,
 * changed, once it exists.
 */
export function foldRun(
  detail: RunDetail | undefined,
  record: SequencedRecord,
): RunDetail {
  const state: RunDetail = detail ?? {
    summary: foldSummary(undefined, { seq: 0, event: record.event }),
    jobs: [],
    tasks: {},
    eventCount: 0,
  };
  const { event, seq } = record;
  if (seq <= state.summary.seq) {
    return state;
  }
  state.eventCount++;
  foldSummary(state.summary, record);
  switch (event.type) {
    case 'run.started':
      if (Array.isArray(event.jobs)) {
        for (const outline of event.jobs as {
          name: string;
          needs: string[];
        }[]) {
          const job = jobOf(state, outline.name);
          job.needs = [...outline.needs];
        }
      }
      break;
    case 'job.started': {
      const job = jobOf(state, text(event.job) ?? '');
      job.status = 'running';
      job.startedAt = event.at;
      break;
    }
    case 'job.finished': {
      const job = jobOf(state, text(event.job) ?? '');
      const status = text(event.status);
      job.status =
        status === 'succeeded' || status === 'skipped' ? status : 'failed';
      job.finishedAt = event.at;
      const error = text(event.error);
      if (error !== undefined) job.error = error;
      break;
    }
    default:
      if (event.type.startsWith('task.')) foldTask(state, event);
  }
  return state;
}
