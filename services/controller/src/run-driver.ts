import {
  type FileRef,
  type FinalStatus,
  findGraphProblems,
  type HostTaskRequest,
  type ParamSpec,
  type ParamValue,
  type RunEvent,
  type RunSubmission,
  resolveParams,
  Subjects,
  withArtifactEdges,
} from '@river/protocol';
import {
  endSpan,
  type JobOutline,
  type Logger,
  publishWithRetry,
  type RiverConnection,
  type Span,
  startSpan,
  traceHeaders,
  traceparentOf,
} from '@river/protocol/internal';
import { fetchBundle } from './bundles.js';
import { recordCancellation } from './cancellations.js';
import type { JobProcesses } from './job-processes.js';
import type { JobSandbox } from './job-sandbox.js';
import { JobWorkerHost } from './job-worker-host.js';
import { type JobState, OutcomeGate } from './outcome-gate.js';
import { RetrySource } from './retry-source.js';
import { type JobEnding, RunEvents } from './run-events.js';
import { RunFeed } from './run-feed.js';
import { RunRecord } from './run-record.js';
import { brief, replayProblem } from './task-identity.js';
import { TaskRequests } from './task-requests.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

/** What a run driver needs from its controller. */
export interface RunDriverDeps {
  connection: RiverConnection;
  log: Logger;
  controllerId: string;
  /** Heap and ArrayBuffers of the run's job logic, in MiB. */
  memoryLimitMb: number;
  /** How long job logic may keep its process busy without yielding. */
  stallLimitMs: number;
  /** CPU time the run's job logic may use, in milliseconds. */
  cpuLimitMs: number;
  /** How the run's job logic process is confined. */
  sandbox: JobSandbox;
  /** Where the run's job logic process comes from. */
  jobProcesses: JobProcesses;
  /** How many tasks one run may ask for. */
  maxTasks: number;
  /** Why a run was cancelled, when the cancels bucket says it was. */
  cancelReasonFor: (runId: string) => string | undefined;
  /** The operator's part of every cache key (`RIVER_CACHE_SALT`). */
  cacheSalt: string;
  /** The version of a secret (the revision it was set at), if set. */
  secretVersion: (name: string) => Promise<string | undefined>;
}

interface JobRecord extends JobOutline {
  state: JobState;
  startedAt: number;
  nextTaskSeq: number;
  value?: unknown;
  deadline?: NodeJS.Timeout;
  /** The job's trace span while it runs; its tasks' spans are children. */
  span?: Span;
}

type Settled = JobEnding;

/** Whether a dependent may use this upstream job's outcome. */
function usable(job: JobRecord): boolean {
  return (
    job.state === 'succeeded' || (job.state === 'failed' && job.allowFailure)
  );
}

function settled(job: JobRecord): boolean {
  return job.state !== 'waiting' && job.state !== 'running';
}

/** How long a cancelled run's job logic gets to finish its cleanup. */
const CANCEL_GRACE_MS = 10_000;

/** Why job logic must be deterministic, for divergence errors. */
const DETERMINISM_HINT =
  'job logic must make the same River calls in the same order when its ' +
  'run is replayed; it may not depend on anything but its inputs and the ' +
  'results River gives it';

/**
 * Drives one run from its submission to its final event: reads the run's
 * history, loads the bundle in a worker, checks the job graph, starts jobs
 * as their upstream jobs succeed, turns their task calls into task requests
 * and feeds the outcomes back in the order they were recorded.
 *
 * A run another controller had started is replayed: its job logic runs
 * again from the start, every task the history holds is answered from the
 * history (or awaited, when it was still running) instead of being sent
 * again, no event is published twice, and job logic that asks for
 * something else than its history holds fails the run.
 */
export class RunDriver {
  readonly #deps: RunDriverDeps;
  readonly #submission: RunSubmission;
  readonly #log: Logger;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #record = new RunRecord();
  readonly #events: RunEvents;
  #feed: RunFeed | undefined;
  #caughtUp = false;
  #startedAt = Date.now();
  #worker: JobWorkerHost | undefined;
  #finish: ((status: FinalStatus | undefined) => void) | undefined;
  #finished = false;
  /** The run's trace span, from the time this controller drives it. */
  #span: Span | undefined;
  #params: Record<string, ParamValue> = {};
  readonly #gate = new OutcomeGate(this.#record, {
    jobState: (job) => this.#jobs.get(job)?.state,
    cancelling: () => this.#cancelReason !== undefined,
    post: (message) => this.#post(message),
    diverged: (job, detail) => void this.#diverged(job, detail),
  });
  /** Tasks asked for whose outcome has not been recorded yet. */
  readonly #unfinished = new Set<string>();
  #cancelReason: string | undefined;
  /** Tasks this run asked for and was allowed, replayed ones included. */
  #tasksAccepted = 0;
  /** Files of the artifacts provided so far, by artifact name. */
  readonly #artifacts = new Map<string, FileRef[]>();
  readonly #requests: TaskRequests;

  constructor(deps: RunDriverDeps, submission: RunSubmission) {
    this.#deps = deps;
    this.#submission = submission;
    this.#log = deps.log.child({ runId: submission.runId });
    this.#events = new RunEvents(
      deps.connection.js,
      submission.runId,
      this.#record,
    );
    this.#requests = new TaskRequests({
      submission,
      cacheSalt: deps.cacheSalt,
      maxPayload: () => deps.connection.nc.info?.max_payload,
      secretVersion: deps.secretVersion,
    });
  }

  get #runId(): string {
    return this.#submission.runId;
  }

  /**
   * Starts following a run that has no event yet, from its first: call it
   * before the run's `run.submitted` is stored, then {@link run}.
   */
  async followNewRun(): Promise<void> {
    this.#feed = this.#openFeed(true);
    await this.#feed.following;
  }

  #openFeed(newRun: boolean): RunFeed {
    return new RunFeed(
      this.#deps.connection.js,
      this.#runId,
      { onEvent: (event, msgId) => this.#onEvent(event, msgId) },
      this.#log,
      newRun,
    );
  }

  /**
   * Runs the run to its end; resolves with its final status, or undefined
   * when another controller took the run over (or it was abandoned).
   */
  async run(): Promise<FinalStatus | undefined> {
    const done = new Promise<FinalStatus | undefined>((resolve) => {
      this.#finish = resolve;
    });
    try {
      this.#feed ??= this.#openFeed(false);
      const replayed = await this.#feed.caughtUp;
      this.#caughtUp = true;
      const ended = this.#record.finishedEvent;
      if (this.#finished) {
        // Abandoned while the history was read.
        await this.#feed.close();
        return done;
      }
      if (ended !== undefined) {
        // A controller finished the run but died before it could say so,
        // or before it could stop the tasks the run left behind.
        this.#finished = true;
        await this.#feed.close();
        await this.#stopLeftoverTasks(ended.status, ended.error);
        return ended.status;
      }
      this.#startedAt = this.#record.submittedAt ?? this.#startedAt;
      // A controller taking a run over starts a second run span: spans
      // cannot be reopened in another process.
      this.#span = startSpan('run', { runId: this.#runId });
      if (this.#record.started !== undefined) {
        await this.#events.publish(
          'run.resumed',
          { controllerId: this.#deps.controllerId, replayedEvents: replayed },
          `${this.#runId}.resumed.${this.#deps.controllerId}`,
        );
        this.#log.info(
          { replayedEvents: replayed },
          'Took the run over; replaying its history',
        );
      }
      const code = await fetchBundle(
        this.#deps.connection.objm,
        this.#submission.bundleDigest,
      );
      const { retryOf } = this.#submission;
      if (retryOf !== undefined) {
        const { js, jsm } = this.#deps.connection;
        this.#requests.setRetried(
          await RetrySource.load(
            js,
            jsm,
            retryOf,
            this.#submission.untrustedScope,
            this.#log,
          ),
        );
      }
      if (this.#finished) {
        return done;
      }
      this.#startWorker({
        code,
        file: this.#submission.file,
        seed: this.#runId,
      });
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
    for (const [taskId, { requestId }] of [...this.#gate.waiting()]) {
      this.#gate.release(taskId);
      this.#refuseTask(requestId, taskId);
    }
    setTimeout(() => {
      void this.#end('cancelled', reason);
    }, CANCEL_GRACE_MS).unref();
    if (this.#jobs.size > 0) {
      // Otherwise the project is not loaded yet; loading it skips its jobs.
      await this.#advance();
    }
  }

  /** Stops the run's job logic without publishing anything. */
  async abandon(): Promise<void> {
    this.#finished = true;
    this.#clearDeadlines();
    for (const job of this.#jobs.values()) {
      endSpan(job.span);
    }
    endSpan(this.#span);
    await Promise.all([this.#worker?.terminate(), this.#feed?.close()]);
    this.#finish?.(undefined);
  }

  #onEvent(event: RunEvent, msgId: string | undefined): void {
    this.#record.note(event, msgId);
    if (!this.#caughtUp || this.#finished) {
      return;
    }
    switch (event.type) {
      case 'task.finished':
        this.#unfinished.delete(event.taskId);
        this.#gate.deliver(event.job);
        if (this.#cancelReason !== undefined) {
          // A cancelled run ends once its killed tasks have reported.
          void this.#advance();
        }
        return;
      case 'run.resumed':
      case 'run.finished':
        if (
          event.type === 'run.finished' ||
          event.controllerId !== this.#deps.controllerId
        ) {
          this.#log.warn(
            { event: event.type },
            'Another controller drives this run now; leaving it',
          );
          void this.abandon();
        }
        return;
      default:
        return;
    }
  }

  async #diverged(job: string, detail: string): Promise<void> {
    const message = `job ${job} diverged from its recorded history: ${detail}; ${DETERMINISM_HINT}`;
    this.#log.error({ job }, message);
    await this.#end('failed', message);
  }

  /**
   * Cancels one task its job logic no longer wants (a failed fork's
   * siblings): sandboxes kill it or skip it, and the job logic's wait for
   * it throws at once.
   */
  async #cancelTask(taskId: string, refuse: boolean): Promise<void> {
    const waited = this.#gate.release(taskId);
    if (waited === undefined) {
      return;
    }
    if (refuse) {
      this.#post({
        type: 'task-refused',
        requestId: waited.requestId,
        message: `Task ${taskId} was cancelled by its job`,
      });
    }
    if (this.#record.finished(taskId)) {
      return;
    }
    await recordCancellation(
      this.#deps.connection,
      `${this.#runId}.${taskId}`,
      this.#runId,
      'its job no longer wants it',
    );
  }

  #refuseTask(requestId: number, taskId: string): void {
    this.#post({
      type: 'task-refused',
      requestId,
      message: `Task ${taskId} was cancelled with its run: ${this.#cancelReason}`,
    });
  }

  #startWorker(data: WorkerData): void {
    this.#worker = new JobWorkerHost(
      this.#deps.jobProcesses.take(),
      data,
      {
        memoryLimitMb: this.#deps.memoryLimitMb,
        stallLimitMs: this.#deps.stallLimitMs,
        cpuLimitMs: this.#deps.cpuLimitMs,
        sandbox: this.#deps.sandbox,
      },
      {
        onMessage: (message) => {
          this.#onWorkerMessage(message).catch((error: unknown) => {
            // Most likely NATS was out of reach for longer than a publish
            // retries. The run is not at fault: leave it, and the lease
            // brings it back to a controller that replays it.
            this.#log.error(
              { err: error },
              'Run driver failed; leaving the run for a replay',
            );
            void this.abandon();
          });
        },
        // Once the run has ended, its worker's exit is expected.
        onFailure: (reason) => void this.#end('failed', reason),
      },
    );
  }

  #post(message: ToWorker): void {
    if (!this.#finished) {
      this.#worker?.post(message);
    }
  }

  // Everything up to the first await runs as the message arrives, so that
  // a later `synced` finds every task request before it registered.
  async #onWorkerMessage(message: FromWorker): Promise<void> {
    if (this.#finished) {
      return;
    }
    switch (message.type) {
      case 'load-failed':
        await this.#end('failed', message.message);
        return;
      case 'print':
        await this.#events.log('', message.text);
        return;
      case 'loaded':
        this.#worker?.startWatchdog();
        await this.#onLoaded(message.project);
        return;
      case 'synced':
        this.#gate.synced(message.token);
        return;
      case 'task':
        await this.#onTask(message.job, message.requestId, message.request);
        return;
      case 'log':
        await this.#events.log(message.job, message.message);
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
      case 'cancel-task': {
        const taskId = [...this.#gate.waiting()].find(
          ([, waited]) => waited.requestId === message.requestId,
        )?.[0];
        if (taskId !== undefined) {
          await this.#cancelTask(taskId, true);
        }
        return;
      }
    }
  }

  async #onLoaded(outline: {
    name: string;
    params: ParamSpec[];
    jobs: JobOutline[];
    cache?: unknown;
  }): Promise<void> {
    const { name: project } = outline;
    this.#requests.setProject(project, outline.cache);
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
    await this.#events.publish(
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
    while (changed && !this.#finished) {
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
          await this.#events.jobFinished(
            job.name,
            job.startedAt,
            'skipped',
            'the run was cancelled',
          );
          continue;
        }
        if (!upstream.every(settled)) {
          continue;
        }
        changed = true;
        const recorded = this.#record.jobEnd(job.name);
        if (recorded !== undefined && recorded.status !== 'succeeded') {
          // Only a succeeded job's value and artifacts are needed again.
          job.state = recorded.status;
        } else if (job.always || upstream.every(usable)) {
          await this.#startJob(job);
        } else {
          job.state = 'skipped';
          const blocking = upstream
            .filter((u) => !usable(u))
            .map((u) => u.name);
          await this.#events.jobFinished(
            job.name,
            job.startedAt,
            'skipped',
            `upstream ${blocking.join(', ')} did not succeed`,
          );
        }
      }
    }
    const jobs = [...this.#jobs.values()];
    if (
      this.#finished ||
      jobs.some((job) => job.state === 'running' || job.state === 'waiting')
    ) {
      return;
    }
    if (this.#cancelReason !== undefined) {
      if (this.#unfinished.size === 0) {
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
    const recordedStart = this.#record.jobStartedAt(job.name);
    job.state = 'running';
    job.startedAt = recordedStart ?? Date.now();
    job.span = startSpan(
      'job',
      { runId: this.#runId, job: job.name },
      this.#span,
    );
    if (
      job.timeoutMs !== undefined &&
      this.#record.jobEnd(job.name) === undefined
    ) {
      const limit = job.timeoutMs;
      job.deadline = setTimeout(
        () => {
          void this.#onJobEnded(
            job.name,
            'failed',
            `job ${job.name} exceeded its timeout of ${limit} ms`,
          );
        },
        Math.max(0, job.startedAt + limit - Date.now()),
      );
    }
    await this.#events.publish(
      'job.started',
      { job: job.name },
      `${this.#runId}.${job.name}.started`,
      job.startedAt,
    );
    const upstream: Record<string, unknown> = {};
    for (const name of job.needs) {
      // A failed or skipped upstream job (allowed or `always`) gives null.
      upstream[name] = this.#jobs.get(name)?.value ?? null;
    }
    this.#post({
      type: 'start-job',
      runId: this.#runId,
      now: job.startedAt,
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
    const step = job.nextTaskSeq++;
    const taskId = `${jobName}-${step}`;
    if (this.#cancelReason !== undefined) {
      this.#refuseTask(requestId, taskId);
      return;
    }
    const prepared = this.#requests.prepare(job, taskId, request);
    if ('refused' in prepared) {
      // Job logic can hand over anything; refuse it there, where the
      // author sees it, instead of letting the scheduler drop it.
      this.#post({
        type: 'task-refused',
        requestId,
        message: prepared.refused,
      });
      return;
    }
    const { request: taskRequest, command, specDigest } = prepared;
    const recorded = this.#record.task(taskId);
    if (recorded === undefined && this.#tasksAccepted >= this.#deps.maxTasks) {
      // Every task costs the controller memory while the run lasts.
      this.#post({
        type: 'task-refused',
        requestId,
        message:
          `Task ${taskId} was refused: this run already asked for ` +
          `${this.#tasksAccepted} tasks, the most one run may ask for ` +
          `(RIVER_RUN_MAX_TASKS=${this.#deps.maxTasks}).`,
      });
      return;
    }
    this.#tasksAccepted++;
    const problem = replayProblem(
      recorded,
      { name: taskRequest.name, command, specDigest },
      this.#record.jobEnd(jobName) !== undefined,
    );
    if (problem !== undefined) {
      await this.#diverged(
        jobName,
        `at step ${step} (task ${taskId}) ${problem}`,
      );
      return;
    }
    if (!this.#record.finished(taskId)) {
      this.#unfinished.add(taskId);
    }
    // Its outcome is in the history already, or still to come.
    this.#gate.wait(taskId, { requestId, job: jobName });
    if (recorded === undefined) {
      const encoded = await this.#requests.encodeToSend(job, prepared);
      // The request goes first: a `task.requested` event in the history
      // then proves the request is queued, so a replay need not send it.
      await publishWithRetry(
        this.#deps.connection.js,
        Subjects.taskRequest,
        encoded,
        `${this.#runId}.${taskId}.request`,
        undefined,
        // The scheduler hands the job's trace context on to the sandbox.
        traceHeaders(traceparentOf(this.#jobs.get(jobName)?.span)),
      );
    }
    // A controller that died between the request and this event leaves a
    // task known only by its outcome; the replay completes the history.
    await this.#events.publish(
      'task.requested',
      {
        job: jobName,
        taskId,
        name: taskRequest.name,
        command: brief(command),
        pool: request.spec.pool,
        specDigest,
      },
      `${this.#runId}.${taskId}.requested`,
    );
    this.#log.debug(
      { taskId, subject: Subjects.taskRequest },
      'Task requested',
    );
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
    const recorded = this.#record.jobEnd(jobName);
    if (recorded !== undefined && recorded.status !== state) {
      await this.#diverged(
        jobName,
        `its history says it ${recorded.status}, but its replay ` +
          `${state}${state === 'succeeded' ? '' : ` (${String(valueOrReason)})`}`,
      );
      return;
    }
    clearTimeout(job.deadline);
    job.state = state;
    endSpan(
      job.span,
      state === 'succeeded' ? undefined : `job ${state}: ${valueOrReason}`,
    );
    // Tasks the job logic left behind (a timeout, an unguarded fork) are
    // no longer wanted by anyone.
    for (const [taskId, waited] of [...this.#gate.waiting()]) {
      if (waited.job === jobName) {
        await this.#cancelTask(taskId, false);
      }
    }
    if (state === 'succeeded') {
      job.value = valueOrReason;
      await this.#events.jobFinished(job.name, job.startedAt, state);
    } else {
      await this.#events.jobFinished(
        job.name,
        job.startedAt,
        state,
        String(valueOrReason),
      );
    }
    this.#log.info({ job: jobName, status: state }, 'Job finished');
    await this.#advance();
  }

  #clearDeadlines(): void {
    for (const job of this.#jobs.values()) {
      clearTimeout(job.deadline);
    }
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
          endSpan(job.span, `the run ended (${error ?? status})`);
          await this.#events.jobFinished(
            job.name,
            job.startedAt,
            job.state,
            running
              ? `the run ended while it ran (${error ?? status})`
              : 'the run ended before it started',
          );
        }
      }
      await this.#events.publish(
        'run.finished',
        {
          status,
          durationMs: Math.max(0, Date.now() - this.#startedAt),
          ...(error === undefined ? {} : { error }),
        },
        `${this.#runId}.finished`,
      );
      this.#log.info({ status, error }, 'Run finished');
      // Only now: before `run.finished`, the run may yet be taken over.
      await this.#stopLeftoverTasks(status, error);
    } finally {
      this.#clearDeadlines();
      endSpan(
        this.#span,
        status === 'succeeded' ? undefined : `run ${status}: ${error ?? ''}`,
      );
      await Promise.all([this.#worker?.terminate(), this.#feed?.close()]);
      this.#finish?.(status);
    }
  }

  /**
   * Cancels the tasks a finished run leaves queued or running (its job
   * logic died, a replay diverged, a cancelled run's grace ran out), so
   * that none outlives the run. Called only once `run.finished` is
   * published; a cancellation already recorded for the run is kept as is.
   */
  async #stopLeftoverTasks(
    status: FinalStatus,
    error: string | undefined,
  ): Promise<void> {
    const leftover = new Set([
      ...this.#unfinished,
      ...this.#record.unfinishedTasks(),
    ]);
    if (
      leftover.size === 0 ||
      this.#deps.cancelReasonFor(this.#runId) !== undefined
    ) {
      return;
    }
    const reason = `the run ${status}${error === undefined ? '' : `: ${error}`}`;
    try {
      await recordCancellation(
        this.#deps.connection,
        this.#runId,
        this.#runId,
        reason,
      );
      this.#log.info(
        { tasks: [...leftover], reason },
        'Cancelled the tasks the run left behind',
      );
    } catch (err) {
      this.#log.error(
        { tasks: [...leftover], err },
        'Could not cancel the tasks the run left behind; they run on',
      );
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
