import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { delay, type Logger } from '@river/protocol/internal';
import { KILL_GRACE_MS } from '../process-group.js';
import type { OutputSink } from '../runner.js';
import {
  type ContainerSpec,
  containerSpec,
  handOverWorkspace,
  TASK_TMP_PATH,
  taskUser,
  type WORKSPACE_PATH,
} from './docker-container.js';
import { DockerEngine, DockerEngineError } from './docker-engine.js';
import { forgetContainer, rememberContainer } from './docker-leftovers.js';
import { ContainerLimitWatch } from './docker-limits.js';
import { readContainerOutput } from './docker-output.js';
import type { RunnerEnd, RunnerRequest, TaskRunner } from './task-runner.js';

/** How long output may go on arriving once the container has exited. */
const OUTPUT_CLOSE_GRACE_MS = 5_000;
/** Longest a timer may wait in Node, about 24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Highest signal number a container's exit status may stand for. */
const MAX_SIGNAL = 64;

/** The engine's status for a process killed by SIGKILL: 128 + 9. */
const SIGKILLED_STATUS = 128 + constants.signals.SIGKILL;
/**
 * How long a container killed by SIGKILL that the runner did not stop is
 * inspected again for the engine's out-of-memory mark, which it records
 * from an event of its own that may come after the exit.
 */
const OOM_MARK_WAIT_MS = 1_000;
/** Pause between two of those inspections. */
const OOM_MARK_POLL_MS = 100;

/** What the docker runner needs from the sandbox. */
export interface DockerRunnerOptions {
  /** The engine's socket, `unix:///path/to/docker.sock`. */
  host: string;
  log: Logger;
}

/** Why the runner stopped a container itself. */
type StopCause = 'timeout' | 'cancel' | 'limit';

/**
 * Runs each attempt in its own container of the task's image on a Docker
 * engine of the sandbox's host: the workspace mounted read-write at
 * {@link WORKSPACE_PATH}, a read-only root, a private tmpfs, no network
 * unless asked for, no capabilities, and the task's memory, process and
 * open-file limits. The container is removed however the attempt ends.
 */
export class DockerRunner implements TaskRunner {
  readonly kind = 'docker';
  readonly #engine: DockerEngine;
  readonly #log: Logger;

  /** @throws Error when `host` is not a `unix://` address. */
  constructor(options: DockerRunnerOptions) {
    this.#engine = new DockerEngine(options.host);
    this.#log = options.log;
  }

  async run(request: RunnerRequest, sink: OutputSink): Promise<RunnerEnd> {
    if (request.image === undefined) {
      return spawnError(
        'EINVAL',
        'The docker runner needs an image, and the task names none; ' +
          'set the image option of the task.',
      );
    }

    const user = taskUser();
    try {
      await handOverWorkspace(request.workspace, user);
    } catch (error) {
      return spawnError(
        'EACCES',
        `The workspace could not be given to the task's user ` +
          `${user.uid}: ${messageOf(error)}.`,
      );
    }
    const spec = containerSpec(request, request.image, user);

    const name = `river-${request.attemptKey}-${randomBytes(3).toString('hex')}`;
    let id: string;
    try {
      id = await this.#create(name, spec, request.image);
    } catch (error) {
      return spawnError('EINVAL', messageOf(error));
    }
    rememberContainer(this.#engine.socketPath, id);
    const log = request.log ?? this.#log;
    const fields = { ...attemptFields(request.attemptKey), container: name };
    log.debug(fields, 'Created a task container');

    try {
      return await this.#runContainer(id, request, sink, log, fields);
    } finally {
      await this.#remove(id, log, fields);
    }
  }

  async #create(
    name: string,
    spec: ContainerSpec,
    image: string,
  ): Promise<string> {
    try {
      const answer = await this.#engine.call(
        'POST',
        `/containers/create?name=${encodeURIComponent(name)}`,
        spec,
      );
      return (answer.body as { Id: string }).Id;
    } catch (error) {
      if (error instanceof DockerEngineError && error.status === 404) {
        throw new Error(
          `Image "${image}" is not on the Docker engine at ` +
            `${this.#engine.host}; pull or import it there first.`,
        );
      }
      throw error;
    }
  }

  async #runContainer(
    id: string,
    request: RunnerRequest,
    sink: OutputSink,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<RunnerEnd> {
    const path = `/containers/${id}`;
    let socket: Socket;
    try {
      socket = await this.#engine.attach(id);
    } catch (error) {
      return spawnError('EIO', messageOf(error));
    }
    const output = readContainerOutput(socket, sink);

    let stoppedBy: StopCause | undefined;
    const stop = (cause: StopCause) => {
      if (stoppedBy !== undefined) {
        return;
      }
      stoppedBy = cause;
      void this.#stop(id, cause === 'limit', log, fields);
    };
    if (request.signal?.aborted === true) {
      socket.destroy();
      return {
        kind: 'ended',
        exitCode: null,
        signal: null,
        timedOut: false,
        cancelled: true,
      };
    }

    const watch = new ContainerLimitWatch(
      {
        workspace: request.workspace,
        tmpPath: TASK_TMP_PATH,
        processes: request.limits.processes !== undefined,
        ...(request.limits.diskMb === undefined
          ? {}
          : { diskBytes: request.limits.diskMb * 1024 * 1024 }),
        ...(request.limits.files === undefined
          ? {}
          : { files: request.limits.files }),
      },
      (limit) => {
        log.info({ ...fields, limit }, 'A task reached a limit');
        stop('limit');
      },
    );

    try {
      await this.#engine.call('POST', `${path}/start`);
    } catch (error) {
      socket.destroy();
      return startError(error);
    }

    const timer = setTimeout(
      () => stop('timeout'),
      Math.min(request.timeoutMs, MAX_TIMER_MS),
    );
    const cancel = () => stop('cancel');
    request.signal?.addEventListener('abort', cancel);
    const started = await this.#inspect(id).catch(() => undefined);

    let exitCode: number;
    try {
      if (started?.State.Running === true) {
        await watch.start(started.State.Pid);
      }
      exitCode = await this.#wait(id);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', cancel);
    }
    const watchedLimit = await watch.stop();
    await Promise.race([output, delay(OUTPUT_CLOSE_GRACE_MS)]);
    socket.destroy();

    // A kill nobody here sent is most likely the kernel's, for memory.
    const oomKilled = await this.#killedForMemory(
      id,
      exitCode === SIGKILLED_STATUS && stoppedBy === undefined
        ? OOM_MARK_WAIT_MS
        : 0,
    );
    const limit = oomKilled ? 'memory-limit' : watchedLimit;
    // The engine, like a shell, gives a process killed by signal n the
    // status 128 + n; it is reported by its signal, as under bwrap.
    const signal = signalOf(exitCode);
    return {
      kind: 'ended',
      exitCode: signal === null ? exitCode : null,
      signal,
      timedOut: stoppedBy === 'timeout',
      cancelled: stoppedBy === 'cancel',
      ...(limit === undefined ? {} : { limit }),
    };
  }

  /** Resolves with the container's exit status once it has stopped. */
  async #wait(id: string): Promise<number> {
    // "not-running" also answers at once for a container already gone by.
    try {
      const answer = await this.#engine.call(
        'POST',
        `/containers/${id}/wait?condition=not-running`,
        undefined,
        { timeoutMs: 0 },
      );
      return (answer.body as { StatusCode: number }).StatusCode;
    } catch (error) {
      // Removed before the wait reached the engine: an exiting sandbox
      // removes its containers by force, which kills them.
      if (error instanceof DockerEngineError && error.status === 404) {
        return SIGKILLED_STATUS;
      }
      throw error;
    }
  }

  /**
   * Whether the engine marked the stopped container as killed for memory,
   * waiting up to `waitMs` for the mark. A container removed meanwhile (by
   * an exiting sandbox) reads as not.
   */
  async #killedForMemory(id: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const ended = await this.#inspect(id).catch(() => undefined);
      if (ended?.State.OOMKilled === true) {
        return true;
      }
      if (ended === undefined || Date.now() >= deadline) {
        return false;
      }
      await delay(OOM_MARK_POLL_MS);
    }
  }

  async #inspect(id: string): Promise<ContainerState> {
    const answer = await this.#engine.call('GET', `/containers/${id}/json`);
    return answer.body as ContainerState;
  }

  /**
   * Stops a container as the process runner stops a group: SIGTERM, then
   * SIGKILL after {@link KILL_GRACE_MS}; at once with SIGKILL for a task
   * over a limit, which has nothing to save.
   */
  async #stop(
    id: string,
    now: boolean,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const kill = (signal: string) =>
      this.#engine.call('POST', `/containers/${id}/kill?signal=${signal}`).then(
        () => true,
        (error) => {
          // 409 or 404: the container has stopped, or is already removed.
          const gone =
            error instanceof DockerEngineError &&
            (error.status === 409 || error.status === 404);
          if (!gone) {
            log.warn(
              { ...fields, err: error },
              'Could not signal a task container',
            );
          }
          return false;
        },
      );
    if (!now && (await kill('SIGTERM'))) {
      await delay(KILL_GRACE_MS);
    }
    await kill('SIGKILL');
  }

  /** Removes the container, running or not; a failure is only logged. */
  async #remove(
    id: string,
    log: Logger,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#engine.call('DELETE', `/containers/${id}?force=1&v=1`);
      forgetContainer(this.#engine.socketPath, id);
    } catch (error) {
      log.error(
        { ...fields, err: error },
        'Could not remove a task container; remove it by hand',
      );
    }
  }
}

/** The part of `GET /containers/{id}/json` the runner reads. */
interface ContainerState {
  State: { Pid: number; Running: boolean; OOMKilled: boolean };
}

function spawnError(code: string, message: string): RunnerEnd {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = code;
  return { kind: 'spawn-error', error };
}

/**
 * The end of a container that would not start. A program that does not
 * exist reads as ENOENT, so that it is reported like the process
 * runner's missing command.
 */
function startError(error: unknown): RunnerEnd {
  const message = messageOf(error);
  const missing = /executable file not found|no such file or directory/i.test(
    message,
  );
  return spawnError(missing ? 'ENOENT' : 'EINVAL', message);
}

/** The signal an exit status of 128 + n stands for, if any. */
function signalOf(status: number): NodeJS.Signals | null {
  const number = status - 128;
  if (number < 1 || number > MAX_SIGNAL) {
    return null;
  }
  const entry = Object.entries(constants.signals).find(
    ([, value]) => value === number,
  );
  return entry === undefined ? null : (entry[0] as NodeJS.Signals);
}

/** Log fields of an attempt, from its `<runId>.<taskId>.<attempt>` key. */
function attemptFields(attemptKey: string): Record<string, unknown> {
  const [runId, taskId, attempt] = attemptKey.split('.');
  return { runId, taskId, attempt: Number(attempt) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
