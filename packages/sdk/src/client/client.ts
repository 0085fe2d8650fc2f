import {
  Buckets,
  type CacheOrigin,
  encode,
  findGraphProblems,
  isSubjectToken,
  type LogUsage,
  type RunSubmission,
  resolveParams,
  SCHEMA_VERSION,
  type StoredLogChunk,
  Subjects,
} from '@river/protocol';
import {
  connectRiver,
  isClosedConnection,
  JobRealm,
  type NatsCredentials,
  openCancels,
  type ProjectOutline,
  putObjectWriteOnly,
  type RiverConnection,
} from '@river/protocol/internal';
import {
  DefinitionError,
  RiverError,
  RiverErrorCode,
} from '../authoring/errors.js';
import { checkPriority } from '../authoring/scheduling.js';
import { bundleProject } from './bundler.js';
import {
  cacheOriginOf,
  explainTaskCache,
  type TaskCacheExplanation,
} from './cache-explanation.js';
import { BundleError, ConnectionError } from './errors.js';
import { checkEventOptions } from './event-options.js';
import { type EventsOptions, streamEvents } from './event-stream.js';
import { filesInUse } from './files-in-use.js';
import { jobLocations } from './locations.js';
import {
  type LogLines,
  type LogLinesOptions,
  type LogSearchOptions,
  type LogSearchResult,
  readLogLines,
  searchLogText,
} from './log-lines.js';
import {
  type LogOptions,
  type LogRange,
  type LogRangeOptions,
  readLogRange,
  readLogs,
  readLogUsage,
} from './log-reader.js';
import {
  checkUntrustedScope,
  type RetriedRun,
  type RetryOptions,
  retriedRun,
  retrySubmission,
} from './retry-submission.js';
import { newRunId } from './run-id.js';
import {
  countRunEvents,
  type WatchOptions,
  watchNewRun,
  watchRun,
} from './run-watch.js';
import type { SequencedEvent } from './sequenced-event.js';
import { uploadSources } from './sources.js';
import { publishFailure, reasonOf, storing } from './submit-errors.js';

export type { LogOptions } from './log-reader.js';

/** How often a watch asks whether an awaited run has its first event. */
const RUN_POLL_MS = 250;
/** Whether a problem names a job, quoted or as a step of a cycle. */
function mentions(problem: string, job: string): boolean {
  return (
    problem.includes(`'${job}'`) ||
    problem.includes(` ${job} →`) ||
    problem.includes(`→ ${job}`)
  );
}

/** Refuses what is not a run id, such as a subject wildcard. */
function checkRunId(runId: string): void {
  if (!isSubjectToken(runId)) {
    throw new RiverError(
      RiverErrorCode.notFound,
      `'${runId}' is not a run id: run ids look like run-mx95tr5i-djofrsxh.`,
    );
  }
}

/** About 30 s of reconnecting before a client gives up on its server. */
const CLIENT_RECONNECT_ATTEMPTS = 120;

/** Options of {@link RiverClient.connect}. */
export interface ClientOptions {
  /** NATS server URL(s), comma-separated. */
  servers: string;
  /** The connection's name on the server. */
  name?: string;
  /** The NATS user to connect as, normally River's `sdk` role. */
  credentials?: NatsCredentials | undefined;
  /**
   * Reconnection attempts, 250 ms apart, before the client gives up on
   * its server and its calls fail: 120 (about 30 s) unless set; -1 keeps
   * trying, as a long-running process that serves others wants.
   */
  maxReconnectAttempts?: number;
}

/** A run that has been submitted. */
export interface SubmittedRun {
  runId: string;
  /** The project's name as the bundle declares it. */
  project: string;
  /** Digest of the bundled project module. */
  bundleDigest: string;
}

/** Options of {@link RiverClient.submit}. */
export interface SubmitOptions {
  /** Parameter values as text, checked against the project's params. */
  params?: Readonly<Record<string, string>>;
  /**
   * Marks the run untrusted (a change nobody reviewed, say), with the
   * cache scope it records its results in: 1 to 64 letters, digits, `-`
   * and `_`. It reuses trusted results, but trusted runs never reuse its.
   */
  untrustedScope?: string;
  /**
   * The run's priority, from -1000 to 1000 (0 by default): added to each
   * task's own, and a higher sum is dispatched first when sandboxes are
   * busy.
   */
  priority?: number;
}

/**
 * Submits projects and reads runs' events and logs.
 *
 * @example
 * ```ts
 * const client = await RiverClient.connect({ servers: 'nats://127.0.0.1:4222' });
 * const { runId } = await client.submit('pipeline.ts');
 * for await (const event of client.watch(runId)) {
 *   console.log(event.seq, event.type);
 * }
 * await client.close();
 * ```
 */
export class RiverClient {
  readonly #connection: RiverConnection;

  private constructor(connection: RiverConnection) {
    this.#connection = connection;
  }

  /**
   * Connects to NATS and checks that the server suits River: its
   * version, JetStream for this user's account, message headers and
   * `max_payload`.
   *
   * @throws ConnectionError when no server answers, or it lacks what
   *   River relies on: the message names what, the version or setting
   *   that brings it, and the server's version and address.
   */
  static async connect(options: ClientOptions): Promise<RiverClient> {
    try {
      const connection = await connectRiver({
        servers: options.servers,
        name: options.name ?? 'river-client',
        maxReconnectAttempts:
          options.maxReconnectAttempts ?? CLIENT_RECONNECT_ATTEMPTS,
        credentials: options.credentials,
        // The client creates no stream, and buckets with one copy only.
        streamReplicas: { count: 1, setting: 'replicas' },
      });
      return new RiverClient(connection);
    } catch (error) {
      throw new ConnectionError(
        `Cannot use the NATS server at ${options.servers}: ${reasonOf(error)}`,
        error,
      );
    }
  }

  /**
   * Bundles a project file, uploads it with its declared sources and
   * submits a run of it. Watch the run with {@link RiverClient.watch}.
   *
   * @throws BundleError when the file is missing, does not compile or
   *   does not export a project; DefinitionError for a missing source;
   *   ConnectionError when NATS fails meanwhile, saying whether the run
   *   may have been submitted.
   */
  async submit(
    file: string,
    options: SubmitOptions = {},
  ): Promise<SubmittedRun> {
    const prepared = await this.#prepare(file, options);
    await storing(file, () => this.#publish(prepared.submission, file));
    return prepared.submitted;
  }

  /**
   * Submits like {@link RiverClient.submit} and watches the run like
   * {@link RiverClient.watch}, its events followed from before the run
   * has any; that costs the NATS server less than a watch opened after
   * the submission, which has it look through every run's history.
   * Read the events to their end, or stop with their `return()`.
   *
   * @throws as {@link RiverClient.submit} does.
   */
  async submitAndWatch(
    file: string,
    options: SubmitOptions & Pick<WatchOptions, 'lateEventsWaitMs'> = {},
  ): Promise<SubmittedRun & { events: AsyncGenerator<SequencedEvent> }> {
    const prepared = await this.#prepare(file, options);
    const events = await this.#publishWatched(prepared.submission, options);
    return { ...prepared.submitted, events };
  }

  /**
   * Submits a new run that retries run `runId`: the same bundle, file,
   * sources and parameters (from its `run.submitted` event), with
   * `retryOf` set, so that each task that succeeded there with the same
   * spec is reused instead of run again (as a cache hit), whether or not
   * it opted into the cache. Runs submitted before River recorded
   * sources cannot be retried.
   *
   * @throws RetryError (code NOT_FOUND) when the run is unknown on this
   *   server or its bundle or a source file is gone; (code
   *   INVALID_ARGUMENT) when it does not record its sources;
   *   ConnectionError as {@link RiverClient.submit} does.
   *
   * @example
   * ```ts
   * const retry = await client.retry('run-mx95tr5i-djofrsxh');
   * for await (const event of client.watch(retry.runId)) {
   *   if (event.type === 'task.finished') console.log(event.cached);
   * }
   * ```
   */
  async retry(runId: string, options: RetryOptions = {}): Promise<RetriedRun> {
    checkRunId(runId);
    const submission = await retrySubmission(this.#connection, runId, options);
    await storing(submission.file, () =>
      this.#publish(submission, submission.file),
    );
    return retriedRun(submission);
  }

  /**
   * Retries like {@link RiverClient.retry} and watches the new run from
   * its first event, as {@link RiverClient.submitAndWatch} does.
   *
   * @throws as {@link RiverClient.retry} does.
   */
  async retryAndWatch(
    runId: string,
    options: RetryOptions & Pick<WatchOptions, 'lateEventsWaitMs'> = {},
  ): Promise<RetriedRun & { events: AsyncGenerator<SequencedEvent> }> {
    checkRunId(runId);
    const submission = await retrySubmission(this.#connection, runId, options);
    const events = await this.#publishWatched(submission, options);
    return { ...retriedRun(submission), events };
  }

  /** Publishes a submission, its new run watched from before it has events. */
  #publishWatched(
    submission: RunSubmission,
    options: Pick<WatchOptions, 'lateEventsWaitMs'>,
  ): Promise<AsyncGenerator<SequencedEvent>> {
    const { file } = submission;
    return storing(file, () =>
      watchNewRun(
        this.#connection,
        submission.runId,
        options.lateEventsWaitMs === undefined
          ? {}
          : { lateEventsWaitMs: options.lateEventsWaitMs },
        () => this.#publish(submission, file),
      ),
    );
  }

  /** Everything a submission needs, stored, but not the submission. */
  async #prepare(
    file: string,
    options: SubmitOptions,
  ): Promise<{ submission: RunSubmission; submitted: SubmittedRun }> {
    checkUntrustedScope(options.untrustedScope);
    checkPriority(options.priority, 'The run priority');
    const bundle = await bundleProject(file);
    let project: ProjectOutline;
    try {
      // Reading the project's name and sources runs only its top level.
      project = new JobRealm(bundle.code, file, 'outline', () => undefined)
        .project;
    } catch (error) {
      throw new BundleError(file, (error as Error).message, undefined, error);
    }

    const graphProblems = findGraphProblems(project.jobs);
    if (graphProblems.length > 0) {
      const locations = jobLocations(bundle, project.jobs);
      const named = [...locations].filter(([name]) =>
        graphProblems.some((problem) => mentions(problem, name)),
      );
      const where =
        named.length === 0
          ? ''
          : ` (${named.map(([name, at]) => `'${name}' at ${at}`).join(', ')})`;
      throw new DefinitionError(
        `Project ${project.name} in ${file} is not a valid job graph: ` +
          `${graphProblems.join('; ')}.${where}`,
      );
    }
    const given = options.params ?? {};
    const resolved = resolveParams(project.params, given);
    if ('problems' in resolved) {
      throw new DefinitionError(
        `Parameters of ${file} do not fit: ${resolved.problems.join('; ')}.`,
      );
    }

    const { objm } = this.#connection;
    const sources = await storing(file, async () => {
      // Made when missing, as on a server without River's users; then
      // written without reading the bucket, which only controllers may.
      await objm.create(Buckets.bundles);
      await putObjectWriteOnly(
        this.#connection,
        Buckets.bundles,
        bundle.digest,
        Buffer.from(bundle.code),
      );
      const artifacts = await objm.create(Buckets.artifacts);
      return uploadSources(file, project.sources, artifacts);
    });

    const runId = newRunId();
    const submission: RunSubmission = {
      schema: SCHEMA_VERSION,
      runId,
      bundleDigest: bundle.digest,
      file,
      submittedAt: Date.now(),
      sources,
      params: { ...given },
      ...(options.untrustedScope === undefined
        ? {}
        : { untrustedScope: options.untrustedScope }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    };
    return {
      submission,
      submitted: { runId, project: project.name, bundleDigest: bundle.digest },
    };
  }

  async #publish(submission: RunSubmission, file: string): Promise<void> {
    try {
      await this.#connection.js.publish(
        Subjects.submit,
        encode('submission', submission),
        { msgID: submission.runId },
      );
    } catch (error) {
      throw publishFailure(error, file, submission.runId);
    }
  }

  /**
   * Streams a run's events from its first, in order, as they happen, each
   * with its stream sequence (`seq`). It ends once the run has finished,
   * every stored event of it has been read and none of its tasks is still
   * running (a task that never reports is waited for until
   * `lateEventsWaitMs` after the run's last event), so that the late
   * `task.finished` of a task killed with its run is not lost. With
   * `follow: false` it ends once caught up. Give `afterSeq` (the last
   * `seq` seen) to go on after a disconnect without a gap or a repeat.
   *
   * @throws RiverError (code NOT_FOUND) when `follow` is false and the run
   *   has no events, or when it still has none after `waitForRunMs`;
   *   (code INVALID_ARGUMENT) for a wrong `afterSeq`.
   *
   * @example
   * ```ts
   * let last = 0;
   * for await (const event of client.watch(runId, { afterSeq: last })) {
   *   last = event.seq;
   * }
   * ```
   */
  async *watch(
    runId: string,
    options: WatchOptions = {},
  ): AsyncGenerator<SequencedEvent> {
    checkRunId(runId);
    checkEventOptions(options);
    const waitMs = options.follow === false ? 0 : options.waitForRunMs;
    if (waitMs !== undefined) {
      const deadline = Date.now() + waitMs;
      while ((await countRunEvents(this.#connection, runId)) === 0) {
        if (Date.now() >= deadline) {
          throw new RiverError(
            RiverErrorCode.notFound,
            `Run ${runId} has no events on this server: check the run id ` +
              'and NATS_URL.',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, RUN_POLL_MS));
      }
    }
    yield* watchRun(this.#connection, runId, options);
  }

  /**
   * Streams the events of every run in stream order, each with its
   * sequence (`seq`), optionally only those of one project's runs, of
   * runs that finished with one status, or from a time on. With `follow`
   * it waits for new events until the caller stops iterating. On stored
   * history the filters are exact; on runs still going they decide from
   * what is known when an event arrives (a run's status only at its
   * end), as {@link EventsOptions} and the SDK README tell.
   *
   * @throws RiverError (code INVALID_ARGUMENT) for a wrong `afterSeq`,
   *   `since` or `status`.
   *
   * @example
   * ```ts
   * for await (const event of client.events({ status: 'failed' })) {
   *   if (event.type === 'run.finished') console.log(event.runId);
   * }
   * ```
   */
  events(options: EventsOptions = {}): AsyncGenerator<SequencedEvent> {
    checkEventOptions(options);
    return streamEvents(this.#connection, options);
  }

  /**
   * Reads a run's stored log chunks in order, page by page, from the
   * log-collector; only one task's when `taskId` is given, and only what
   * `stream`, `attempt` and `since` let through. With `follow`, it then
   * yields new chunks as they are stored until the run has finished.
   *
   * @throws RiverError when the run has no events on the server, or no
   *   log-collector answers.
   */
  async *logs(
    runId: string,
    options: LogOptions = {},
  ): AsyncGenerator<StoredLogChunk> {
    checkRunId(runId);
    yield* readLogs(this.#connection, runId, options);
  }

  /**
   * Reads bytes of one task attempt's output (stdout unless `stream` says
   * otherwise, the last attempt unless `attempt` is given) from `offset`,
   * without reading the log before it.
   *
   * @throws RiverError when the run has no events on the server, or no
   *   log-collector answers.
   */
  logRange(
    runId: string,
    taskId: string,
    options: LogRangeOptions,
  ): Promise<LogRange> {
    checkRunId(runId);
    return readLogRange(this.#connection, runId, taskId, options);
  }

  /**
   * Reads lines of one task attempt's output, stdout and stderr as they
   * were stored (the last attempt unless `attempt` is given): `count`
   * lines from line `from`, or the last `tail` lines. The collector finds
   * them through its index, without reading the log before them.
   *
   * @example
   * ```ts
   * const { lines, firstLine } = await client.logLines(runId, 'test-1', {
   *   tail: 50,
   * });
   * ```
   *
   * @throws RiverError when the run has no events on the server, no
   *   log-collector answers, or it refuses the options.
   */
  logLines(
    runId: string,
    taskId: string,
    options: LogLinesOptions = {},
  ): Promise<LogLines> {
    checkRunId(runId);
    return readLogLines(this.#connection, runId, taskId, options);
  }

  /**
   * Counts the occurrences of `text` in one task attempt's output as a
   * terminal shows it (escape sequences removed, carriage returns
   * applied), ignoring case unless `caseSensitive`, and lists the lines
   * that hold them.
   *
   * @throws RiverError when the run has no events on the server, no
   *   log-collector answers, or it refuses the options.
   */
  searchLog(
    runId: string,
    taskId: string,
    text: string,
    options: LogSearchOptions = {},
  ): Promise<LogSearchResult> {
    checkRunId(runId);
    return searchLogText(this.#connection, runId, taskId, text, options);
  }

  /**
   * What River's logs take on the server: the logs stream, the log
   * index, and the run's share.
   *
   * @throws RiverError when no log-collector answers.
   */
  logUsage(runId: string): Promise<LogUsage> {
    checkRunId(runId);
    return readLogUsage(this.#connection, runId);
  }

  /**
   * Asks River to cancel a run: its queued tasks are not started, its
   * running tasks are killed with their whole process trees, and its job
   * logic sees its pending tasks throw, so `finally` blocks run. Watch the
   * run for its `run.finished` event with status `cancelled`.
   */
  async cancel(runId: string, reason = 'cancelled by user'): Promise<void> {
    await this.#requireRun(runId);
    const kv = await openCancels(this.#connection);
    await kv.put(
      runId,
      encode('cancellation', {
        schema: SCHEMA_VERSION,
        runId,
        reason,
        requestedAt: Date.now(),
      }),
    );
  }

  /**
   * Tells how a task of a run used the task cache: a hit (and whose
   * result it reused), a miss (and what changed since the task's last
   * request), a wait for an identical task, or no use at all. `task` is
   * a task id (`build-debug-1`) or a task's name, when one task of the
   * run has that name.
   *
   * @throws RiverError (code NOT_FOUND) when the run has no events on the
   *   server or no such task; (code INVALID_ARGUMENT) when several of its
   *   tasks have that name.
   *
   * @example
   * ```ts
   * const why = await client.explainTask(runId, 'build-debug-1');
   * if (why.verdict === 'miss') console.log(why.changes.join('\n'));
   * ```
   */
  async explainTask(
    runId: string,
    task: string,
  ): Promise<TaskCacheExplanation> {
    await this.#requireRun(runId);
    return explainTaskCache(this.#connection, runId, task);
  }

  /**
   * Where a task's result was reused from when it was a cache hit (its
   * `task.finished` event's `cached`), or undefined when it ran or has
   * not finished. Its log is the origin task's: read that with
   * {@link RiverClient.logs}.
   *
   * @throws RiverError (code NOT_FOUND) when the run has no events on the
   *   server.
   */
  async cacheOrigin(
    runId: string,
    taskId: string,
  ): Promise<CacheOrigin | undefined> {
    await this.#requireRun(runId);
    return cacheOriginOf(this.#connection, runId, taskId);
  }

  /**
   * The SHA-256 digests of the artifact store's files that runs still
   * going use: their sources, and what their finished tasks made or
   * reused. A tool that deletes files from the store keeps these.
   */
  filesInUse(): Promise<Set<string>> {
    return filesInUse(this.#connection);
  }

  /**
   * Refuses a run id that is none, or names a run without events here.
   *
   * @throws RiverError (code NOT_FOUND).
   */
  async #requireRun(runId: string): Promise<void> {
    checkRunId(runId);
    if ((await countRunEvents(this.#connection, runId)) === 0) {
      throw new RiverError(
        RiverErrorCode.notFound,
        `Run ${runId} has no events on this server: check the run id and ` +
          'NATS_URL.',
      );
    }
  }

  /** Closes the connection after flushing what was published. */
  async close(): Promise<void> {
    // A connection that gave up on its server is closed already: the
    // error that said so is the one worth reporting, not a second one.
    await this.#connection.nc.drain().catch((error: unknown) => {
      if (!isClosedConnection(error)) {
        throw error;
      }
    });
  }
}
