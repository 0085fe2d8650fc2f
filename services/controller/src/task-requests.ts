import {
  check,
  encode,
  type HostTaskRequest,
  type MessageDecodeError,
  type RunSubmission,
  SCHEMA_VERSION,
  Subjects,
  type TaskCache,
  type TaskRequest,
} from '@river/protocol';
import type { RetrySource } from './retry-source.js';
import {
  planTaskCache,
  resolveCacheSetting,
  secretVersionsOf,
} from './task-cache.js';
import { commandText, digestOf } from './task-identity.js';

/** A task request checked and ready to send. */
export interface PreparedTask {
  request: TaskRequest;
  /** The request as sent; its cache key has stand-ins for secrets. */
  encoded: Uint8Array;
  /** The command as text, for events and replays. */
  command: string;
  /** SHA-256 of the spec, for replays to compare. */
  specDigest: string;
  /** The task's own cache setting, as job logic gave it. */
  cacheSetting: unknown;
}

/** A job as far as its task requests are concerned. */
export interface RequestingJob {
  name: string;
  /** The job's cache setting as its bundle gave it. */
  cache?: unknown;
}

/** What every task request of one run shares. */
export interface TaskRequestsOptions {
  submission: RunSubmission;
  /** The operator's part of every cache key (`RIVER_CACHE_SALT`). */
  cacheSalt: string;
  /** The largest message the NATS server takes, once connected. */
  maxPayload: () => number | undefined;
  /** The version of a secret (the revision it was set at), if set. */
  secretVersion: (name: string) => Promise<string | undefined>;
}

/**
 * Turns what job logic asks for into task requests of one run: checks
 * each one (job logic can hand over anything), gives it its cache key,
 * and refuses one too large to send, with a message for the author.
 */
export class TaskRequests {
  readonly #options: TaskRequestsOptions;
  #project: { name: string; cache: unknown } = { name: '', cache: undefined };
  #retried: RetrySource | undefined;

  constructor(options: TaskRequestsOptions) {
    this.#options = options;
  }

  /** The project's name and cache setting, once its bundle is loaded. */
  setProject(name: string, cache: unknown): void {
    this.#project = { name, cache };
  }

  /** The successful tasks of the run this one retries. */
  setRetried(retried: RetrySource): void {
    this.#retried = retried;
  }

  /**
   * Builds and checks the request of task `taskId` of `job`, without
   * waiting, so that it is registered before the job logic's next message.
   *
   * @returns the request, or why it is refused, in a sentence that
   *   names the task.
   */
  prepare(
    job: RequestingJob,
    taskId: string,
    asked: HostTaskRequest,
  ): PreparedTask | { refused: string } {
    const { submission } = this.#options;
    const request: TaskRequest = {
      schema: SCHEMA_VERSION,
      runId: submission.runId,
      taskId,
      job: job.name,
      name: String(asked?.name),
      requestedAt: Date.now(),
      spec: asked?.spec,
      ...(submission.priority === undefined
        ? {}
        : { runPriority: submission.priority }),
    };
    try {
      check('taskRequest', Subjects.taskRequest, request);
    } catch (error) {
      const { field, reason } = error as MessageDecodeError;
      return {
        refused: `Task ${taskId} is invalid: ${field.replace(/^\/spec\//, '')} ${reason}.`,
      };
    }
    const specDigest = digestOf(request.spec);
    try {
      const cache = this.#planCache(job, request, asked.cache, specDigest);
      if (cache !== undefined) {
        request.cache = cache;
      }
    } catch (error) {
      return {
        refused: `Task ${taskId} was not sent: ${(error as Error).message}.`,
      };
    }
    const encoded = encode('taskRequest', request);
    const room = this.#options.maxPayload();
    if (room !== undefined && encoded.length > room) {
      return {
        refused:
          `Task ${taskId} is too large to send: its request takes ` +
          `${encoded.length} bytes, the NATS server takes at most ${room}. ` +
          'Pass big values as input files instead.',
      };
    }
    return {
      request,
      encoded,
      command: commandText(request.spec.command),
      specDigest,
      cacheSetting: asked.cache,
    };
  }

  /**
   * The request as it is sent: with its granted secrets' versions in its
   * cache key, read now. The stand-in key checked for size in
   * {@link prepare} is as long as the real one.
   */
  async encodeToSend(
    job: RequestingJob,
    prepared: PreparedTask,
  ): Promise<Uint8Array> {
    const { request, specDigest, cacheSetting } = prepared;
    const secrets = request.spec.secrets ?? [];
    if (request.cache === undefined || secrets.length === 0) {
      return prepared.encoded;
    }
    const versions = await secretVersionsOf(
      secrets,
      this.#options.secretVersion,
    );
    const cache = this.#planCache(
      job,
      request,
      cacheSetting,
      specDigest,
      versions,
    );
    return encode('taskRequest', {
      ...request,
      ...(cache === undefined ? {} : { cache }),
    });
  }

  /** @throws CacheSettingError when job logic gave an invalid setting. */
  #planCache(
    job: RequestingJob,
    request: TaskRequest,
    taskSetting: unknown,
    specDigest: string,
    secretVersions?: Record<string, string>,
  ): TaskCache | undefined {
    const { submission, cacheSalt } = this.#options;
    const { name: project } = this.#project;
    const setting = resolveCacheSetting([
      [`Project ${project}`, this.#project.cache],
      [`Job ${job.name}`, job.cache],
      [`Task ${request.taskId}`, taskSetting],
    ]);
    return planTaskCache({
      project,
      job: job.name,
      name: request.name,
      spec: request.spec,
      setting,
      codeDigest: submission.bundleDigest,
      serviceSalt: cacheSalt,
      untrustedScope: submission.untrustedScope,
      reuse: this.#retried?.reuseFor(request.taskId, specDigest),
      ...(secretVersions === undefined ? {} : { secretVersions }),
    });
  }
}
