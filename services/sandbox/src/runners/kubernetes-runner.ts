import type { IncomingMessage } from 'node:http';
import type { TaskSpec } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import { KILL_GRACE_MS } from '../process-group.js';
import type { OutputSink } from '../runner.js';
import { type KubernetesApi, KubernetesApiError } from './kubernetes-api.js';
import {
  ATTEMPT_KEY_ANNOTATION,
  type JobManifest,
  jobManifest,
  TASK_CONTAINER,
} from './kubernetes-job.js';
import {
  type ContainerState,
  deadlineExceeded,
  evictedForDisk,
  failedToStart,
  hopelessStart,
  type JobObject,
  jobFailure,
  newestPod,
  type PodObject,
  signalOf,
  taskState,
  unschedulable,
} from './kubernetes-pod.js';
import type { RunnerEnd, RunnerRequest, TaskRunner } from './task-runner.js';

/** Pause between two looks at a Job's pod unless the options say. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** Longest a timer may wait in Node, about 24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * How long a stopped task's pod is watched for its end, once its Job was
 * deleted: its grace period, then time for the kubelet to report.
 */
const STOP_WAIT_MS = KILL_GRACE_MS + 10_000;

/** What the kubernetes runner needs from the sandbox. */
export interface KubernetesRunnerOptions {
  api: KubernetesApi;
  /** The namespace of the task Jobs. */
  namespace: string;
  log: Logger;
  /** Pause between two looks at a Job's pod; 1 s unless said. */
  pollIntervalMs?: number;
}

/** Why the runner deleted a Job itself. */
type StopCause = 'timeout' | 'cancel';

/** How a pod's task container ended, as far as the runner could see. */
interface PodEnd {
  terminated?: NonNullable<ContainerState['terminated']>;
  pod?: PodObject;
  /** The pod was gone before its end could be read. */
  gone: boolean;
}

/**
 * Runs each attempt as a Kubernetes Job of its own, one pod of the
 * task's image with its command, environment and memory limit, an empty
 * workspace and no service account token, as a non-root user on a
 * read-only root. The Job's name comes from the attempt, so that
 * creating it again adopts it; it is deleted however the attempt ends.
 *
 * It cannot give the pod the sandbox's workspace, so it refuses tasks
 * with inputs, outputs, a working directory or secrets (see
 * {@link KubernetesRunner.refuse}).
 */
export class KubernetesRunner implements TaskRunner {
  readonly kind = 'kubernetes';
  readonly #api: KubernetesApi;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #pollMs: number;

  constructor(options: KubernetesRunnerOptions) {
    this.#api = options.api;
    this.#namespace = options.namespace;
    this.#log = options.log;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /**
   * Refuses what the pod cannot have: its files live in the sandbox's
   * workspace, which the pod does not share, so inputs would be missing
   * and outputs lost; and granted secrets would be written into the
   * Job's spec, readable by whoever may read pods in the namespace.
   */
  refuse(spec: TaskSpec): string | undefined {
    const refused = [
      spec.inputs.length > 0 ? 'inputs' : undefined,
      spec.outputs.length > 0 ? 'outputs' : undefined,
      spec.cwd !== '' && spec.cwd !== '.' ? 'a working directory' : undefined,
      (spec.secrets?.length ?? 0) > 0 ? 'secrets' : undefined,
    ].filter((item) => item !== undefined);
    if (refused.length === 0) {
      return undefined;
    }
    return (
      `The kubernetes runner runs a task in an empty workspace of its own ` +
      `pod and keeps secrets out of Job specs, so it does not run tasks ` +
      `with ${refused.join(', ')}; run this task on bwrap or docker.`
    );
  }

  async run(request: RunnerRequest, sink: OutputSink): Promise<RunnerEnd> {
    if (request.image === undefined) {
      return spawnError(
        'EINVAL',
        'The kubernetes runner needs an image, and the task names none; ' +
          'set the image option of the task.',
      );
    }
    if (request.cwd !== '') {
      return spawnError(
        'EINVAL',
        `The kubernetes runner cannot run a task in working directory ` +
          `"${request.cwd}"; leave cwd empty and change directory in ` +
          'the command.',
      );
    }

    const manifest = jobManifest(request, request.image);
    const name = manifest.metadata.name;
    const log = request.log ?? this.#log;
    const fields = {
      ...attemptFields(request.attemptKey),
      namespace: this.#namespace,
      job: name,
    };
    const created = await this.#createOrAdopt(manifest, request, log, fields);
    if (created !== undefined) {
      return created;
    }

    const job = new JobHandle(() => this.#delete(name, log, fields));
    try {
      return await this.#runJob(name, request, sink, job, log, fields);
    } finally {
      await job.delete();
    }
  }

  /**
   * Creates the attempt's Job, or adopts the one a create before made:
   * an `AlreadyExists` answer for a Job of the same attempt means the
   * first create went through. Returns the attempt's end when there is
   * no Job to run, after deleting one that a failed create may have left.
   */
  async #createOrAdopt(
    manifest: JobManifest,
    request: RunnerRequest,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<RunnerEnd | undefined> {
    const name = manifest.metadata.name;
    try {
      await this.#api.call('POST', this.#jobsPath(), manifest);
      log.debug(fields, 'Created a task Job');
      return undefined;
    } catch (error) {
      if (!(error instanceof KubernetesApiError) || error.status !== 409) {
        // Without an answer, or with a 5xx, the Job may exist anyway.
        const refused =
          error instanceof KubernetesApiError &&
          error.status !== undefined &&
          error.status < 500;
        if (!refused) {
          await this.#delete(name, log, fields);
        }
        return spawnError(refused ? 'EINVAL' : 'EIO', messageOf(error));
      }
    }

    let existing: JobObject;
    try {
      const answer = await this.#api.call('GET', this.#jobsPath(name));
      existing = answer.body as JobObject;
    } catch (error) {
      return spawnError('EIO', messageOf(error));
    }
    const owner = existing.metadata.annotations?.[ATTEMPT_KEY_ANNOTATION];
    if (owner !== request.attemptKey) {
      // Not this attempt's: it is left alone, never deleted.
      return spawnError(
        'EEXIST',
        `Job ${name} in namespace ${this.#namespace} already exists for ` +
          `${owner === undefined ? 'something else' : `attempt ${owner}`}; ` +
          'delete it or use another namespace.',
      );
    }
    log.info(fields, 'Adopted the task Job an earlier create made');
    return undefined;
  }

  async #runJob(
    name: string,
    request: RunnerRequest,
    sink: OutputSink,
    job: JobHandle,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<RunnerEnd> {
    let stoppedBy: StopCause | undefined;
    const stopped = new AbortController();
    const stop = (cause: StopCause) => {
      if (stoppedBy !== undefined) {
        return;
      }
      stoppedBy = cause;
      stopped.abort();
      log.debug({ ...fields, cause }, 'Deleting a task Job to stop it');
      void job.delete();
    };
    const timer = setTimeout(
      () => stop('timeout'),
      Math.min(request.timeoutMs, MAX_TIMER_MS),
    );
    const cancel = () => stop('cancel');
    if (request.signal?.aborted === true) {
      cancel();
    }
    request.signal?.addEventListener('abort', cancel);

    let end: PodEnd;
    try {
      const started = await this.#waitForStart(
        name,
        request.image ?? '',
        stopped.signal,
        log,
        fields,
      );
      if (started === undefined) {
        // Stopped before the task container ever ran.
        return ended({
          timedOut: stoppedBy === 'timeout',
          cancelled: stoppedBy === 'cancel',
        });
      }
      if (typeof started !== 'string') {
        return started;
      }
      await this.#followLog(started, sink, stopped.signal, log, fields);
      end = await this.#waitForEnd(started, stopped.signal);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', cancel);
    }
    return this.#judge(name, end, stoppedBy);
  }

  /**
   * Waits until the Job's pod has started its task container, and
   * returns the pod's name; or the attempt's end when the pod will never
   * start or the Job failed without one; undefined when it was stopped
   * first.
   */
  async #waitForStart(
    name: string,
    image: string,
    stopped: AbortSignal,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<string | RunnerEnd | undefined> {
    const selector = encodeURIComponent(`job-name=${name}`);
    let toldUnschedulable = false;
    while (!stopped.aborted) {
      const answer = await this.#api.call(
        'GET',
        `${this.#podsPath()}?labelSelector=${selector}`,
      );
      const pod = newestPod(
        (answer.body as { items?: PodObject[] }).items ?? [],
      );
      if (pod !== undefined) {
        const state = taskState(pod);
        const phase = pod.status?.phase;
        if (
          state?.running !== undefined ||
          state?.terminated !== undefined ||
          phase === 'Succeeded' ||
          phase === 'Failed'
        ) {
          return pod.metadata.name;
        }
        const hopeless = hopelessStart(pod, image);
        if (hopeless !== undefined) {
          return spawnError('EINVAL', hopeless);
        }
        const why = unschedulable(pod);
        if (why !== undefined && !toldUnschedulable) {
          toldUnschedulable = true;
          log.warn(
            { ...fields, pod: pod.metadata.name, why },
            'A task pod cannot be scheduled yet; it waits up to its timeout',
          );
        }
      } else {
        const ended = await this.#jobEndedWithoutPod(name);
        if (ended !== undefined) {
          return ended;
        }
      }
      await sleep(this.#pollMs, stopped);
    }
    return undefined;
  }

  /** The end of a Job that finished, or vanished, before any pod ran. */
  async #jobEndedWithoutPod(name: string): Promise<RunnerEnd | undefined> {
    const job = await this.#readJob(name);
    if (job === undefined) {
      throw new Error(
        `Job ${name} in namespace ${this.#namespace} was deleted by ` +
          'someone else before its pod started.',
      );
    }
    if (deadlineExceeded(job)) {
      return ended({ timedOut: true, cancelled: false });
    }
    const failure = jobFailure(job);
    return failure === undefined
      ? undefined
      : spawnError('EIO', `Job ${name} failed before its pod ran (${failure})`);
  }

  /**
   * Copies the task container's log into the sink until it ends. The API
   * server gives one stream, stdout and stderr interleaved, so all of it
   * goes to stdout. Reading pauses while the sink is full, which holds
   * back the stream from the API server, not the task.
   */
  async #followLog(
    pod: string,
    sink: OutputSink,
    stopped: AbortSignal,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<void> {
    let response: IncomingMessage;
    try {
      response = await this.#api.stream(
        `${this.#podsPath(pod)}/log?container=${TASK_CONTAINER}&follow=true`,
      );
    } catch (error) {
      if (stopped.aborted) {
        // The pod was deleted by the stop, which is why the log is gone.
        return;
      }
      throw error;
    }

    // After a stop the pod dies within its grace period; a stream left
    // open longer than that is not waited for.
    let giveUp: NodeJS.Timeout | undefined;
    const onStop = () => {
      giveUp = setTimeout(() => response.destroy(), STOP_WAIT_MS);
    };
    stopped.addEventListener('abort', onStop, { once: true });
    if (stopped.aborted) {
      onStop();
    }
    try {
      await new Promise<void>((resolve) => {
        response.on('data', (data: Buffer) => {
          if (!sink.write('stdout', data)) {
            response.pause();
            void sink.drained().then(() => response.resume());
          }
        });
        response.once('end', () => resolve());
        response.once('close', () => resolve());
        response.once('error', (error) => {
          // The rest of the output is lost; the exit code is still read.
          log.warn(
            { ...fields, pod, err: error },
            'The log stream of a task pod broke off',
          );
          resolve();
        });
      });
    } finally {
      clearTimeout(giveUp);
      stopped.removeEventListener('abort', onStop);
    }
  }

  /**
   * Waits until the kubelet reports how the task container ended. After
   * a stop, it waits at most {@link STOP_WAIT_MS}; a deleted pod may go
   * before it can be read.
   */
  async #waitForEnd(pod: string, stopped: AbortSignal): Promise<PodEnd> {
    let giveUpAt = Number.POSITIVE_INFINITY;
    for (;;) {
      if (stopped.aborted && giveUpAt === Number.POSITIVE_INFINITY) {
        giveUpAt = Date.now() + STOP_WAIT_MS;
      }
      let found: PodObject;
      try {
        found = (await this.#api.call('GET', this.#podsPath(pod)))
          .body as PodObject;
      } catch (error) {
        if (error instanceof KubernetesApiError && error.status === 404) {
          return { gone: true };
        }
        throw error;
      }
      const terminated = taskState(found)?.terminated;
      if (
        terminated !== undefined ||
        found.status?.phase === 'Failed' ||
        Date.now() >= giveUpAt
      ) {
        return {
          ...(terminated === undefined ? {} : { terminated }),
          pod: found,
          gone: false,
        };
      }
      await sleep(this.#pollMs);
    }
  }

  /** The attempt's end from its pod's, and whether the runner stopped it. */
  async #judge(
    name: string,
    end: PodEnd,
    stoppedBy: StopCause | undefined,
  ): Promise<RunnerEnd> {
    const { terminated } = end;
    if (
      stoppedBy === undefined &&
      terminated !== undefined &&
      failedToStart(terminated)
    ) {
      const message = terminated.message ?? terminated.reason ?? 'no message';
      const missing =
        /executable file not found|no such file or directory/i.test(message);
      return spawnError(missing ? 'ENOENT' : 'EINVAL', message);
    }

    const limit =
      terminated?.reason === 'OOMKilled'
        ? 'memory-limit'
        : end.pod !== undefined && evictedForDisk(end.pod)
          ? 'disk-limit'
          : undefined;

    // A pod deleted, or failed without an exit, that the runner did not
    // stop: Kubernetes ended it at the Job's deadline, or someone did.
    let timedOut = stoppedBy === 'timeout';
    if (
      stoppedBy === undefined &&
      limit === undefined &&
      (end.gone ||
        terminated === undefined ||
        end.pod?.metadata.deletionTimestamp !== undefined)
    ) {
      const job = await this.#readJob(name);
      timedOut = job !== undefined && deadlineExceeded(job);
      if (!timedOut && terminated === undefined) {
        throw new Error(
          `The pod of Job ${name} in namespace ${this.#namespace} ended ` +
            'without an exit code (deleted or evicted by someone else: ' +
            `${end.pod?.status?.reason ?? 'gone'}).`,
        );
      }
    }

    const exitCode = terminated?.exitCode ?? null;
    const signal = exitCode === null ? null : signalOf(exitCode);
    return {
      kind: 'ended',
      // As under docker, a status of 128 + n is reported as signal n.
      exitCode: signal === null ? exitCode : null,
      signal,
      timedOut,
      cancelled: stoppedBy === 'cancel',
      ...(limit === undefined ? {} : { limit }),
    };
  }

  /** The Job, or undefined when it no longer exists. */
  async #readJob(name: string): Promise<JobObject | undefined> {
    try {
      return (await this.#api.call('GET', this.#jobsPath(name)))
        .body as JobObject;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Deletes the Job and, in the background, its pod; a Job already gone
   * is fine, and a failure is only logged, since its
   * `ttlSecondsAfterFinished` removes it later anyway.
   */
  async #delete(
    name: string,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#api.call('DELETE', this.#jobsPath(name), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
      });
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) {
        return;
      }
      log.error(
        { ...fields, err: error },
        'Could not delete a task Job; delete it by hand',
      );
    }
  }

  #jobsPath(name?: string): string {
    const jobs = `/apis/batch/v1/namespaces/${this.#namespace}/jobs`;
    return name === undefined ? jobs : `${jobs}/${name}`;
  }

  #podsPath(name?: string): string {
    const pods = `/api/v1/namespaces/${this.#namespace}/pods`;
    return name === undefined ? pods : `${pods}/${name}`;
  }
}

/** Deletes a Job once, however many times it is asked to. */
class JobHandle {
  readonly #remove: () => Promise<void>;
  #deleting: Promise<void> | undefined;

  constructor(remove: () => Promise<void>) {
    this.#remove = remove;
  }

  delete(): Promise<void> {
    this.#deleting ??= this.#remove();
    return this.#deleting;
  }
}

function ended(flags: { timedOut: boolean; cancelled: boolean }): RunnerEnd {
  return { kind: 'ended', exitCode: null, signal: null, ...flags };
}

/**
 * The end of an attempt whose task never ran. The message goes without
 * its full stop: the sandbox quotes it inside a sentence of its own.
 */
function spawnError(code: string, message: string): RunnerEnd {
  const error: NodeJS.ErrnoException = new Error(message.replace(/\.$/, ''));
  error.code = code;
  return { kind: 'spawn-error', error };
}

/** A pause that a stop cuts short. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Log fields of an attempt, from its `<runId>.<taskId>.<attempt>` key. */
function attemptFields(attemptKey: string): Record<string, unknown> {
  const [runId, taskId, attempt] = attemptKey.split('.');
  return { runId, taskId, attempt: Number(attempt) };
}

/** The error's sentence without its full stop, to be quoted in another. */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\.$/, '');
}
