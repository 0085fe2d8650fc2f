import {
  check,
  encode,
  type FileRef,
  type FinalStatus,
  findGraphProblems,
  type HostTaskRequest,
  type MessageDecodeError,
  type ParamSpec,
  type ParamValue,
  type RunSubmission,
  resolveParams,
  SCHEMA_VERSION,
  Subjects,
  type TaskRequest,
  withArtifactEdges,
} from '@river/protocol';
import {
  type JobOutline,
  type Logger,
  openCancels,
  publishEvent,
  type RiverConnection,
} from '@river/protocol/internal';
import { fetchBundle } from './bundles.js';
import { JobWorkerHost } from './job-worker-host.js';
import type { TaskOutcomes } from './task-outcomes.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

/** What a run driver needs from its controller. */
export interface RunDriverDeps {
  connection: RiverConnection;
  outcomes: TaskOutcomes;
  log: Logger;
  controllerId: string;
  /** Heap limit of the run's job logic. */
  memoryLimitMb: number;
  /** How long job logic may keep its thread busy without yielding. */
  stallLimitMs: number;
}

type JobState = 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped';

interface JobRecord extends JobOutline {
  state: JobState;
  startedAt: number;
  nextTaskSeq: number;
  value?: unknown;
  deadline?: NodeJS.Timeout;
}

type Settled = 'succeeded' | 'failed' | 'skipped';

/** Whether a dependent may use this upstream job's outcome. */
function usable(job: JobRecord): boolean {
  return (
    job.state === 'succeeded' || (job.state === 'failed' && job.allowFailure)
  );
}

function settled(job: JobRecord): boolean {
  return job.state !== 'waiting' && job.state !== 'running';
}

/** Longest `ctx.log` message kept in an event. */
const MAX_LOG_MESSAGE_CHARS = 16_384;

/** How long a cancelled run's job logic gets to finish its cleanup. */
const CANCEL_GRACE_MS = 10_000;

/**
 * Drives one run from its submission to its final event: loads the bundle
 * in a worker, checks the job graph, starts jobs as their upstream jobs
 * succeed, turns their task calls into task requests and feeds the
 * outcomes back.
 */
export class RunDriver {
  readonly #deps: RunDriverDeps;
  readonly #submission: RunSubmission;
  readonly #log: Logger;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #startedAt = Date.now();
  #worker: JobWorkerHost | undefined;
  #finish: ((status: FinalStatus) => void) | undefined;
  #finished = false;
  #logLines = 0;
  #params: Record<string, ParamValue> = {};
  /** Task requests whose job logic still waits, by request id. */
  readonly #waitingTasks = new Map<number, string>();
  #cancelReason: string | undefined;
  /** Tasks requested whose outcome has not arrived yet. */
  #tasksInFlight = 0;
  /** Files of the artifacts provided so far, by artifact name. */
  readonly #artifacts = new Map<string, FileRef[]>();

  constructor(deps: RunDriverDeps, submission: RunSubmission) {
    this.#deps = deps;
    this.#submission = submission;
    this.#log = deps.log.child({ runId: submission.runId });
  }

  get #runId(): string {
    return this.#submission.runId;
  }

  /** Runs the run to its end; resolves with its final status. */
  async run(): Promise<FinalStatus> {
    const done = new Promise<FinalStatus>((resolve) => {
      this.#finish = resolve;
    });
    try {
      const code = await fetchBundle(
        this.#deps.connection.objm,
        this.#submission.bundleDigest,
      );
      this.#startWorker({ code, file: this.#submission.file });
    } catch (error) {
      await this.#end('failed', errorMessage(error));
    }
    return done;
  }

  /**
   * Cancels the run: jobs not started are skipped, every task the job
   * logic waits for throws in it (so its `finally` blocks run), new tasks
   * are refused, and the run ends as cancelled once its jobs have ended,
   * or after a grace period. Sandboxes kill the running tasks themselves.
   */
  async cancel(reason: string): Promise<void> {
    if (this.#finished || this.#cancelReason !== undefined) {
      return;
    }
    this.#cancelReason = reason;
    this.#log.info({ reason }, 'Cancelling run');
    for (const [requestId, taskId] of this.#waitingTasks) {
      this.#refuseTask(requestId, taskId);
    }
    this.#waitingTasks.clear();
    setTimeout(() => {
      void this.#end('cancelled', reason);
    }, CANCEL_GRACE_MS).unref();
    await this.#advance();
  }

  /**
   * Cancels one task its job logic no longer wants (a failed fork's
   * siblings): sandboxes kill it or skip it, and the job logic's wait for
   * it throws at once.
   */
  async #cancelTask(requestId: number): Promise<void> {
    const taskId = this.#waitingTasks.get(requestId);
    if (taskId === undefined) {
      return;
    }
    this.#waitingTasks.delete(requestId);
    const cancels = await openCancels(this.#deps.connection);
    await cancels.put(
      `${this.#runId}.${taskId}`,
      encode('cancellation', {
        schema: SCHEMA_VERSION,
        runId: this.#runId,
        reason: 'its job no longer wants it',
        requestedAt: Date.now(),
      }),
    );
    this.#post({
      type: 'task-refused',
      requestId,
      message: `Task ${taskId} was cancelled by its job`,
    });
  }

  #refuseTask(requestId: number, taskId: string): void {
    this.#post({
      type: 'task-refused',
      requestId,
      message: `Task ${taskId} was cancelled with its run: ${this.#cancelReason}`,
    });
  }

  /** Stops the run's job logic without publishing anything. */
  async abandon(): Promise<void> {
    this.#finished = true;
    await this.#worker?.terminate();
  }

  #startWorker(data: WorkerData): void {
    this.#worker = new JobWorkerHost(
      data,
      {
        memoryLimitMb: this.#deps.memoryLimitMb,
        stallLimitMs: this.#deps.stallLimitMs,
      },
      {
        onMessage: (message) => {
          this.#onWorkerMessage(message).catch((error: unknown) => {
            this.#log.error({ err: error }, 'Run driver failed');
            void this.#end(
              'failed',
              `controller error: ${errorMessage(error)}`,
            );
          });
        },
        // Once the run has ended, its worker's exit is expected.
        onFailure: (reason) => void this.#end('failed', reason),
      },
    );
  }

  #post(message: ToWorker): void {
    this.#worker?.post(message);
  }

  async #onWorkerMessage(message: FromWorker): Promise<void> {
    switch (message.type) {
      case 'load-failed':
        await this.#end('failed', message.message);
        return;
      case 'print':
        await this.#publishLog('', message.text);
        return;
      case 'loaded':
        this.#worker?.startWatchdog();
        await this.#onLoaded(message.project);
        return;
      case 'task':
        await this.#onTask(message.job, message.requestId, message.request);
        return;
      case 'log':
        await this.#publishLog(message.job, message.message);
        return;
      case 'job-succeeded': {
        const missing = this.#jobs
          .get(message.job)
          ?.provides.filter((name) => !this.#artifacts.has(name));
        if (missing !== undefined && missing.length > 0) {
          await this.#onJobEnded(
            message.job,
            'failed',
            `job ${message.job} declares artifact ${missing.join(', ')} in ` +
              'provides but did not provide it (call ctx.provide)',
          );
          return;
        }
        await this.#onJobEnded(
          message.job,
          'succeeded',
          JSON.parse(message.valueJson),
        );
        return;
      }
      case 'job-failed':
        await this.#onJobEnded(message.job, 'failed', message.message);
        return;
      case 'job-skipped':
        await this.#onJobEnded(message.job, 'skipped', message.reason);
        return;
      case 'artifact':
        this.#artifacts.set(message.name, message.files);
        return;
      case 'cancel-task':
        await this.#cancelTask(message.requestId);
        return;
    }
  }

  async #publishLog(job: string, message: string): Promise<void> {
    // An event must stay far below the server's max_payload.
    const text =
      message.length > MAX_LOG_MESSAGE_CHARS
        ? `${message.slice(0, MAX_LOG_MESSAGE_CHARS)}… (${
            message.length - MAX_LOG_MESSAGE_CHARS
          } more characters cut)`
        : message;
    await publishEvent(
      this.#deps.connection.js,
      this.#runId,
      'job.log',
      { job, message: text },
      `${this.#runId}.log.${this.#logLines++}`,
    );
  }

  async #onLoaded(outline: {
    name: string;
    params: ParamSpec[];
    jobs: JobOutline[];
  }): Promise<void> {
    const { name: project } = outline;
    const jobs = withArtifactEdges(outline.jobs);
    const params = resolveParams(outline.params, this.#submission.params ?? {});
    if ('problems' in params) {
      await this.#end(
        'failed',
        `parameters of ${this.#submission.file} do not fit: ` +
          `${params.problems.join('; ')}`,
      );
      return;
    }
    this.#params = params.values;
    const problems = findGraphProblems(jobs);
    if (problems.length > 0) {
      await this.#end(
        'failed',
        `project ${project} in ${this.#submission.file} is not a valid ` +
          `job graph: ${problems.join('; ')}`,
      );
      return;
    }
    for (const job of jobs) {
      this.#jobs.set(job.name, {
        ...job,
        state: 'waiting',
        startedAt: 0,
        nextTaskSeq: 1,
      });
    }
    await publishEvent(
      this.#deps.connection.js,
      this.#runId,
      'run.started',
      { project, jobs, controllerId: this.#deps.controllerId },
      `${this.#runId}.started`,
    );
    this.#log.info({ project, jobs: jobs.length }, 'Run started');
    await this.#advance();
  }

  /** Starts ready jobs, skips doomed ones, and ends the run when idle. */
  async #advance(): Promise<void> {
    let changed = true;
    while (changed) {
      changed = false;
      for (const job of this.#jobs.values()) {
        if (job.state !== 'waiting') {
          continue;
        }
        const upstream = job.needs.flatMap((name) => {
          const found = this.#jobs.get(name);
          return found === undefined ? [] : [found];
        });
        if (this.#cancelReason !== undefined) {
          job.state = 'skipped';
          changed = true;
          await this.#publishJobFinished(
            job,
            'skipped',
            'the run was cancelled',
          );
          continue;
        }
        if (!upstream.every(settled)) {
          continue;
        }
        changed = true;
        if (job.always || upstream.every(usable)) {
          await this.#startJob(job);
        } else {
          job.state = 'skipped';
          const blocking = upstream
            .filter((u) => !usable(u))
            .map((u) => u.name);
          await this.#publishJobFinished(
            job,
            'skipped',
            `upstream ${blocking.join(', ')} did not succeed`,
          );
        }
      }
    }
    const jobs = [...this.#jobs.values()];
    if (
      jobs.some((job) => job.state === 'running' || job.state === 'waiting')
    ) {
      return;
    }
    if (this.#cancelReason !== undefined) {
      if (this.#tasksInFlight === 0) {
        await this.#end('cancelled', this.#cancelReason);
      }
      return;
    }
    const failed = jobs.filter(
      (job) => job.state === 'failed' && !job.allowFailure,
    );
    await this.#end(
      failed.length === 0 ? 'succeeded' : 'failed',
      failed.length === 0
        ? undefined
        : `job${failed.length > 1 ? 's' : ''} ${failed.map((job) => job.name).join(', ')} failed`,
    );
  }

  async #startJob(job: JobRecord): Promise<void> {
    job.state = 'running';
    job.startedAt = Date.now();
    if (job.timeoutMs !== undefined) {
      const limit = job.timeoutMs;
      job.deadline = setTimeout(() => {
        void this.#onJobEnded(
          job.name,
          'failed',
          `job ${job.name} exceeded its timeout of ${limit} ms`,
        );
      }, limit);
    }
    await publishEvent(
      this.#deps.connection.js,
      this.#runId,
      'job.started',
      { job: job.name },
      `${this.#runId}.${job.name}.started`,
    );
    const upstream: Record<string, unknown> = {};
    for (const name of job.needs) {
      // A failed or skipped upstream job (allowed or `always`) gives null.
      upstream[name] = this.#jobs.get(name)?.value ?? null;
    }
    this.#post({
      type: 'start-job',
      runId: this.#runId,
      job: job.name,
      upstream,
      sources: this.#submission.sources,
      params: this.#params,
      artifacts: Object.fromEntries(
        job.consumes.map((name) => [name, this.#artifacts.get(name) ?? []]),
      ),
    });
  }

  async #onTask(
    jobName: string,
    requestId: number,
    request: HostTaskRequest,
  ): Promise<void> {
    const job = this.#jobs.get(jobName);
    if (job === undefined || job.state !== 'running') {
      return;
    }
    const taskId = `${jobName}-${job.nextTaskSeq++}`;
    if (this.#cancelReason !== undefined) {
      this.#refuseTask(requestId, taskId);
      return;
    }
    const taskRequest: TaskRequest = {
      schema: SCHEMA_VERSION,
      runId: this.#runId,
      taskId,
      job: jobName,
      name: String(request?.name),
      requestedAt: Date.now(),
      spec: request?.spec,
    };
    try {
      check('taskRequest', Subjects.taskRequest, taskRequest);
    } catch (error) {
      // Job logic can hand over anything; refuse it there, where the
      // author sees it, instead of letting the scheduler drop it.
      const { field, reason } = error as MessageDecodeError;
      this.#post({
        type: 'task-refused',
        requestId,
        message: `Task ${taskId} is invalid: ${field.replace(/^\/spec\//, '')} ${reason}.`,
      });
      return;
    }
    const { js } = this.#deps.connection;
    const finished = this.#deps.outcomes.expect(this.#runId, taskId);
    await publishEvent(
      js,
      this.#runId,
      'task.requested',
      {
        job: jobName,
        taskId,
        name: request.name,
        command: commandText(request.spec.command),
        pool: request.spec.pool,
      },
      `${this.#runId}.${taskId}.requested`,
    );
    await js.publish(Subjects.taskRequest, encode('taskRequest', taskRequest), {
      msgID: `${this.#runId}.${taskId}.request`,
    });
    this.#log.debug(
      { taskId, subject: Subjects.taskRequest },
      'Task requested',
    );

    this.#waitingTasks.set(requestId, taskId);
    this.#tasksInFlight++;
    const event = await finished;
    this.#tasksInFlight--;
    if (!this.#waitingTasks.delete(requestId)) {
      if (this.#cancelReason !== undefined) {
        // A cancelled run ends once its killed tasks have reported.
        await this.#advance();
      }
      return;
    }
    this.#post({
      type: 'task-result',
      requestId,
      result: { taskId, attempt: event.attempt, outcome: event.outcome },
    });
  }

  async #onJobEnded(
    jobName: string,
    state: Settled,
    valueOrReason: unknown,
  ): Promise<void> {
    const job = this.#jobs.get(jobName);
    if (job === undefined || job.state !== 'running') {
      return;
    }
    clearTimeout(job.deadline);
    job.state = state;
    // Tasks the job logic left behind (a timeout, an unguarded fork) are
    // no longer wanted by anyone.
    for (const [requestId, taskId] of [...this.#waitingTasks]) {
      if (taskId.startsWith(`${jobName}-`)) {
        await this.#cancelTask(requestId);
      }
    }
    if (state === 'succeeded') {
      job.value = valueOrReason;
      await this.#publishJobFinished(job, state);
    } else {
      await this.#publishJobFinished(job, state, String(valueOrReason));
    }
    this.#log.info({ job: jobName, status: state }, 'Job finished');
    await this.#advance();
  }

  async #publishJobFinished(
    job: JobRecord,
    status: Settled,
    error?: string,
  ): Promise<void> {
    await publishEvent(
      this.#deps.connection.js,
      this.#runId,
      'job.finished',
      {
        job: job.name,
        status,
        durationMs: job.startedAt === 0 ? 0 : Date.now() - job.startedAt,
        ...(error === undefined ? {} : { error }),
      },
      `${this.#runId}.${job.name}.finished`,
    );
  }

  async #end(status: FinalStatus, error?: string): Promise<void> {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    try {
      // Every job gets its final event before the run's, so that the
      // history has no job left running.
      for (const job of this.#jobs.values()) {
        if (job.state === 'running' || job.state === 'waiting') {
          const running = job.state === 'running';
          job.state = running ? 'failed' : 'skipped';
          await this.#publishJobFinished(
            job,
            job.state,
            running
              ? `the run ended while it ran (${error ?? status})`
              : 'the run ended before it started',
          );
        }
      }
      await publishEvent(
        this.#deps.connection.js,
        this.#runId,
        'run.finished',
        {
          status,
          durationMs: Date.now() - this.#startedAt,
          ...(error === undefined ? {} : { error }),
        },
        `${this.#runId}.finished`,
      );
      this.#log.info({ status, error }, 'Run finished');
    } finally {
      for (const job of this.#jobs.values()) {
        clearTimeout(job.deadline);
      }
      this.#deps.outcomes.forget(this.#runId);
      await this.#worker?.terminate();
      this.#finish?.(status);
    }
  }
}

/** A command as a shell would read it back: arguments quoted as needed. */
function commandText(command: string | string[]): string {
  if (typeof command === 'string') {
    return command;
  }
  return command
    .map((arg) =>
      /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`,
    )
    .join(' ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
