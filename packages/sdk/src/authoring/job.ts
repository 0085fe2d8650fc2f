import type {
  BundleJob,
  FileRef,
  HostJobRuntime,
  JobControl,
} from '@river/protocol';
import {
  type Artifact,
  type ArtifactFiles,
  type ArtifactShape,
  filesFor,
  shapeFiles,
} from './artifacts.js';
import { checkCacheSetting } from './cache.js';
import { DefinitionError } from './errors.js';
import type { Param } from './params.js';
import { definitionSite } from './site.js';
import {
  type ShOptions,
  shellTaskRequest,
  TaskFailedError,
  type TaskResult,
  taskResultOf,
} from './task.js';
import type { Task } from './task-values.js';

const JOB_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Job names become parts of file names on sandboxes: keep them short. */
const MAX_JOB_NAME_LENGTH = 100;

/** Key of the phantom field that carries a job's result type. */
export declare const resultType: unique symbol;

/** A job: a name, its upstream jobs and the logic that runs it. */
export interface Job<Name extends string = string, Result = unknown>
  extends BundleJob {
  readonly name: Name;
  /** Carries the result type for upstream maps; never set at run time. */
  readonly [resultType]?: Result;
}

/** An upstream reference: a job value, or a job's name. */
export type Upstream = Job<string, unknown> | string;

/** The upstream results a job receives, by job name. */
export type UpstreamResults<Needs extends readonly Upstream[]> = {
  [Item in Needs[number] as Item extends Job<infer Name, unknown>
    ? Name
    : Item extends string
      ? Item
      : never]: Item extends Job<string, infer Result> ? Result : unknown;
};

/** What job logic is handed when it runs. */
export interface JobContext<UpstreamMap = Record<string, never>> {
  /** The run's id, as `river logs` and `river events` take it. */
  readonly runId: string;
  /** The job's name. */
  readonly job: string;
  /** Results of the upstream jobs, by name. */
  readonly upstream: UpstreamMap;
  /** The project's source files, to pass as a task's `inputs`. */
  readonly sources: readonly FileRef[];
  /**
   * Runs a shell command on a sandbox and resolves with its result.
   * A string runs through `/bin/sh -c`; an array runs as is.
   *
   * @throws TaskFailedError when the task fails, unless `check: false`.
   */
  sh(
    command: string | readonly string[],
    options?: ShOptions,
  ): Promise<TaskResult>;
  /**
   * Runs a task value (a {@link ShellTask} or a subclass of {@link Task}).
   *
   * @throws TaskFailedError when the task fails, unless its options say
   *   `check: false`.
   */
  run(task: Task): Promise<TaskResult>;
  /**
   * Hands on the files of an artifact this job lists in `provides`.
   *
   * @throws DefinitionError when the files do not fit the artifact's shape.
   */
  provide(declared: Artifact, files: FileRef | readonly FileRef[]): void;
  /**
   * The files of an artifact this job lists in `consumes`: one reference
   * for a `file` artifact, a list for a `tree`.
   *
   * @throws DefinitionError when the job does not consume it.
   */
  artifact<Shape extends ArtifactShape>(
    declared: Artifact<Shape>,
  ): ArtifactFiles<Shape>;
  /**
   * A project parameter's value for this run.
   *
   * @throws DefinitionError when the project does not declare it.
   */
  param<Value>(declared: Param<Value>): Value;
  /** Writes a line to the run's events, shown by `river run`. */
  log(...values: unknown[]): void;
}

/** The logic of a job. */
export type JobLogic<UpstreamMap, Result> = (
  context: JobContext<UpstreamMap>,
) => Promise<Result> | Result;

/** The artifacts a job provides and consumes. */
export interface ArtifactOptions {
  /** Artifacts this job provides with `ctx.provide`. */
  provides?: readonly Artifact[];
  /**
   * Artifacts this job reads with `ctx.artifact`; it starts after the jobs
   * that provide them.
   */
  consumes?: readonly Artifact[];
}

/** Options of a job. */
export interface JobOptions<Needs extends readonly Upstream[]>
  extends JobControl,
    ArtifactOptions {
  /** Jobs whose results this job needs; it starts after they succeed. */
  needs?: Needs;
  /**
   * Runs before the job's logic; when it returns false the job ends as
   * skipped, and so do the jobs that need it (unless they are `always`).
   */
  when?: (
    context: JobContext<UpstreamResults<Needs>>,
  ) => boolean | Promise<boolean>;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Builds the context job logic sees from the controller's host. */
export function contextFor<UpstreamMap>(
  host: HostJobRuntime,
): JobContext<UpstreamMap> {
  const context: JobContext<UpstreamMap> = {
    runId: host.runId,
    job: host.job,
    upstream: host.upstream as UpstreamMap,
    sources: host.sources,
    async sh(command, options = {}) {
      const request = shellTaskRequest(command, options);
      if (options.signal?.cancelled === true) {
        throw new DefinitionError(
          `Task ${request.name} was not started: its fork was cancelled.`,
        );
      }
      const result = taskResultOf(
        await host.requestTask(request, options.signal),
      );
      if (!result.ok && options.check !== false) {
        throw new TaskFailedError(request.name, result, request.spec.timeoutMs);
      }
      return result;
    },
    run(task) {
      return context.sh(task.command(), task.options());
    },
    provide(declared, files) {
      host.provide(declared.name, filesFor(declared, files));
    },
    artifact(declared) {
      const files = host.artifacts[declared.name];
      if (files === undefined) {
        throw new DefinitionError(
          `Job ${host.job} reads artifact ${declared.name}, which it does ` +
            'not list in consumes.',
        );
      }
      return shapeFiles(declared, files);
    },
    param<Value>(declared: Param<Value>): Value {
      if (!Object.hasOwn(host.params, declared.name)) {
        throw new DefinitionError(
          `Parameter ${declared.name} is not declared by the project: ` +
            'add it to project({ params }).',
        );
      }
      return host.params[declared.name] as Value;
    },
    log(...values) {
      host.log(values.map(formatValue).join(' '));
    },
  };
  return context;
}

/**
 * Declares a job.
 *
 * @example
 * ```ts
 * const build = job('build', { needs: [configure] }, async (ctx) => {
 *   const config = ctx.upstream.configure;
 *   return (await ctx.sh('make', { inputs: config.files })).exitCode;
 * });
 * ```
 * @throws DefinitionError when the name is not made of letters, digits,
 *   '-' and '_'.
 */
export function job<const Name extends string, Result>(
  name: Name,
  logic: JobLogic<Record<string, never>, Result>,
): Job<Name, Awaited<Result>>;
export function job<
  const Name extends string,
  const Needs extends readonly Upstream[],
  Result,
>(
  name: Name,
  options: JobOptions<Needs>,
  logic: JobLogic<UpstreamResults<Needs>, Result>,
): Job<Name, Awaited<Result>>;
export function job(
  name: string,
  optionsOrLogic: JobOptions<readonly Upstream[]> | JobLogic<never, unknown>,
  maybeLogic?: JobLogic<never, unknown>,
): Job {
  const options: JobOptions<readonly Upstream[]> =
    typeof optionsOrLogic === 'function' ? {} : optionsOrLogic;
  const logic =
    typeof optionsOrLogic === 'function' ? optionsOrLogic : maybeLogic;
  checkJobName(name);
  if (typeof logic !== 'function') {
    throw new DefinitionError(`Job ${name} has no logic function.`);
  }
  const { when } = options;
  const definedAt = definitionSite();
  return {
    name,
    needs: upstreamNames(options.needs ?? []),
    ...(definedAt === undefined ? {} : { definedAt }),
    ...artifactNames(options),
    control: controlOf(options, `Job ${name}`),
    start: async (host) => {
      const context = contextFor<never>(host);
      if (when !== undefined && !(await when(context))) {
        host.skip('its condition was false');
        return null;
      }
      return logic(context);
    },
  };
}

/** The names of the artifacts a job provides and consumes. */
export function artifactNames(options: ArtifactOptions): {
  provides: string[];
  consumes: string[];
} {
  return {
    provides: (options.provides ?? []).map((item) => item.name),
    consumes: (options.consumes ?? []).map((item) => item.name),
  };
}

/** The longest job timeout a timer can hold: about 24.8 days. */
const MAX_JOB_TIMEOUT_MS = 2 ** 31 - 1;

/** The controller's part of a job's options. */
export function controlOf(options: JobControl, owner: string): JobControl {
  const { timeoutMs } = options;
  const cache = checkCacheSetting(options.cache, owner);
  if (
    timeoutMs !== undefined &&
    (!Number.isInteger(timeoutMs) ||
      timeoutMs < 1 ||
      timeoutMs > MAX_JOB_TIMEOUT_MS)
  ) {
    throw new DefinitionError(
      `A job's timeoutMs must be a whole number from 1 to ` +
        `${MAX_JOB_TIMEOUT_MS}, not ${String(timeoutMs)}.`,
    );
  }
  return {
    ...(options.always === undefined ? {} : { always: options.always }),
    ...(options.allowFailure === undefined
      ? {}
      : { allowFailure: options.allowFailure }),
    ...(options.timeoutMs === undefined
      ? {}
      : { timeoutMs: options.timeoutMs }),
    ...(cache === undefined ? {} : { cache }),
  };
}

/** Checks a job's name. */
export function checkJobName(name: unknown): asserts name is string {
  if (typeof name === 'string' && name.length > MAX_JOB_NAME_LENGTH) {
    throw new DefinitionError(
      `Job name ${name.slice(0, 40)}… is ${name.length} characters long; ` +
        `keep it to ${MAX_JOB_NAME_LENGTH}.`,
    );
  }
  if (typeof name !== 'string' || !JOB_NAME_PATTERN.test(name)) {
    throw new DefinitionError(
      `Job name ${JSON.stringify(name)} may only hold letters, digits, ` +
        "'-' and '_'.",
    );
  }
}

/** The names of upstream jobs given as values or names. */
export function upstreamNames(needs: readonly Upstream[]): string[] {
  return needs.map((item) => (typeof item === 'string' ? item : item.name));
}
