import type {
  AttemptOutcome,
  CacheSetting,
  FileRef,
  HostTaskRequest,
  HostTaskResult,
  RunnerKind,
  TaskLimits,
  TaskSignal,
} from '@river/protocol';
import { checkCacheSetting } from './cache.js';
import { DefinitionError, RiverError, RiverErrorCode } from './errors.js';
import {
  type ConcurrencySetting,
  checkLabels,
  checkPriority,
  concurrencyLimits,
} from './scheduling.js';

/** How long a task may run when it names no timeout: 30 minutes. */
export const DEFAULT_TASK_TIMEOUT_MS = 30 * 60 * 1_000;

const POOL_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Options of a shell task. */
export interface ShOptions {
  /** A display name; defaults to the command's first word. */
  name?: string;
  /** Environment variables; nothing else of the sandbox's leaks in. */
  env?: Record<string, string>;
  /** Working directory inside the task's workspace. */
  cwd?: string;
  /** Wall-clock limit; past it the whole process tree is killed. */
  timeoutMs?: number;
  /** Files to place in the workspace first, for example another task's. */
  inputs?: readonly FileRef[];
  /** Workspace paths (files or directories) to keep afterwards. */
  outputs?: readonly string[];
  /** The sandbox pool that runs it; `default` unless named. */
  pool?: string;
  /** Labels a sandbox must offer to run it, such as `['gcc', 'docker']`. */
  labels?: readonly string[];
  /**
   * Added to the run's priority (from -1000 to 1000, 0 by default): when
   * sandboxes are busy, a higher sum is dispatched first.
   */
  priority?: number;
  /**
   * Shared limits across every run: `'deploy-production'` lets one such
   * task run at a time, `{ key: 'shared-db', max: 4 }` four; the others
   * wait in the order they were requested.
   */
  concurrency?: ConcurrencySetting;
  /** What the task expects to use, as hints for placing it. */
  resources?: { cpus?: number; memoryMb?: number; diskMb?: number };
  /**
   * How the sandbox isolates the task; its own default unless named, and
   * only runners its policy allows.
   */
  runner?: RunnerKind;
  /** The container image, for the `docker` and `kubernetes` runners. */
  image?: string;
  /** Lets the task reach the network; it is cut off unless true. */
  network?: boolean;
  /** Ceilings on memory, processes, open files, output and disk. */
  limits?: TaskLimits;
  /** Secrets granted to the task, set in its environment by name. */
  secrets?: readonly string[];
  /** Extra attempts after a failed one; 0 unless named. */
  retries?: number;
  /** Wait before the first retry; it doubles for each retry after. */
  retryDelayMs?: number;
  /** Retry only when the command exited with one of these codes. */
  retryOnExitCodes?: readonly number[];
  /**
   * Cancels the task when it fires: a queued task does not start, a
   * running one is killed, and `ctx.sh` throws. `fork` gives one to each
   * branch.
   */
  signal?: TaskSignal;
  /**
   * Reuse the result of an earlier task with the same inputs instead of
   * running: `true`, or `{ ttlMs, salt }`; `false` turns off a job's or
   * project's setting. See docs/caching.md for what the key covers.
   */
  cache?: CacheSetting;
  /**
   * When true (the default) a failed task throws {@link TaskFailedError};
   * when false the result is returned for the job logic to inspect.
   */
  check?: boolean;
}

/** What a finished task produced. */
export interface TaskResult extends AttemptOutcome {
  /** The task's id within the run, for `river logs`. */
  taskId: string;
  /** The attempt whose outcome this is. */
  attempt: number;
  /** Whether the outcome was reused from the cache instead of run. */
  cached: boolean;
}

/** A task failed and its job did not say `check: false`. */
export class TaskFailedError extends RiverError {
  /** The failed task's result. */
  readonly result: TaskResult;

  constructor(name: string, result: TaskResult, timeoutMs?: number) {
    super(RiverErrorCode.taskFailed, describeFailure(name, result, timeoutMs));
    this.result = result;
  }
}

/** A one-sentence account of why a task failed. */
export function describeFailure(
  name: string,
  result: TaskResult,
  timeoutMs?: number,
): string {
  const task = `Task ${result.taskId} (${name})`;
  switch (result.reason) {
    case 'command-not-found':
      return `${task} failed: command not found (exit 127).`;
    case 'timeout':
      return timeoutMs === undefined
        ? `${task} timed out, and its processes were killed.`
        : `${task} exceeded its timeout of ${timeoutMs} ms, and its ` +
            'processes were killed.';
    case 'signaled':
      return `${task} was killed by ${result.signal}.`;
    case 'exited':
      return `${task} failed with exit code ${result.exitCode}.`;
    default:
      // Messages are sentences already; one period ends the line.
      return `${task} failed: ${(result.message ?? result.reason).replace(/\.$/, '')}.`;
  }
}

function displayName(command: string | readonly string[]): string {
  const first = typeof command === 'string' ? command.trim() : command[0];
  const word = (first ?? '').split(/\s+/)[0] ?? '';
  return word.split('/').pop() || 'task';
}

/** Turns `sh(...)` arguments into the request the controller sends. */
export function shellTaskRequest(
  command: string | readonly string[],
  options: ShOptions = {},
): HostTaskRequest {
  if (
    (typeof command === 'string' && command.trim() === '') ||
    (typeof command !== 'string' && command.length === 0)
  ) {
    throw new DefinitionError('sh() needs a command; it was given none.');
  }
  const pool = options.pool ?? 'default';
  if (!POOL_PATTERN.test(pool)) {
    throw new DefinitionError(
      `sh() pool ${JSON.stringify(pool)} may only hold letters, digits, ` +
        "'-' and '_'.",
    );
  }
  const retries = options.retries ?? 0;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  if (!Number.isInteger(retries) || retries < 0 || retries > 99) {
    throw new DefinitionError('sh() retries must be an integer from 0 to 99.');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new DefinitionError('sh() timeoutMs must be a positive integer.');
  }
  checkEnvNames(options.env);
  const name = options.name ?? displayName(command);
  checkPriority(options.priority, `Task ${name} priority`);
  const concurrency = concurrencyLimits(options.concurrency, `Task ${name}`);
  const labels = checkLabels(options.labels, `Task ${name}`);
  const cache = checkCacheSetting(options.cache, `Task ${name}`);
  return {
    name,
    ...(cache === undefined ? {} : { cache }),
    spec: {
      command: typeof command === 'string' ? command : [...command],
      env: { ...options.env },
      cwd: options.cwd ?? '',
      timeoutMs,
      inputs: [...(options.inputs ?? [])],
      outputs: [...(options.outputs ?? [])],
      pool,
      maxAttempts: retries + 1,
      ...retryPolicy(options),
      ...(labels === undefined ? {} : { labels }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(options.resources === undefined
        ? {}
        : { resources: { ...options.resources } }),
      ...isolation(options),
    },
  };
}

/**
 * Refuses names no environment can carry: the protocol would refuse the
 * request anyway, and this names the variable where the task is written.
 */
function checkEnvNames(env: Record<string, string> | undefined): void {
  for (const name of Object.keys(env ?? {})) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new DefinitionError(
        `sh() env variable ${JSON.stringify(name)} cannot be set: a name ` +
          "must be non-empty and hold no '=' or NUL.",
      );
    }
  }
}

function isolation(options: ShOptions) {
  return {
    ...(options.runner === undefined ? {} : { runner: options.runner }),
    ...(options.image === undefined ? {} : { image: options.image }),
    ...(options.network === undefined ? {} : { network: options.network }),
    ...(options.limits === undefined ? {} : { limits: { ...options.limits } }),
    ...(options.secrets === undefined ? {} : { secrets: [...options.secrets] }),
  };
}

function retryPolicy(options: ShOptions) {
  if (
    options.retryDelayMs === undefined &&
    options.retryOnExitCodes === undefined
  ) {
    return {};
  }
  return {
    retry: {
      delayMs: options.retryDelayMs ?? 0,
      ...(options.retryOnExitCodes === undefined
        ? {}
        : { onExitCodes: [...options.retryOnExitCodes] }),
    },
  };
}

/** Merges the controller's answer into the result job logic sees. */
export function taskResultOf(answer: HostTaskResult): TaskResult {
  return {
    ...answer.outcome,
    taskId: answer.taskId,
    attempt: answer.attempt,
    cached: answer.cached === true,
  };
}
