import type { ParamSpec, ParamValue } from './params.js';
import type { FileRef } from './schemas/common.js';
import type { AttemptOutcome, TaskSpec } from './schemas/task.js';

/**
 * The contract between a bundled project module and the controller that
 * evaluates it. The SDK builds these objects; the controller only calls
 * them. Bumping {@link BUNDLE_API_VERSION} is a breaking change.
 */
export const BUNDLE_API_VERSION = 1;

/**
 * Whether tasks reuse an earlier identical task's result instead of
 * running: `true` or an object turns it on, `false` off.
 */
export type CacheSetting =
  | boolean
  | {
      /** How long a recorded result may be reused; 7 days by default. */
      ttlMs?: number;
      /** Any text; changing it disowns every result recorded before. */
      salt?: string;
    };

/** What a job asks the controller for when it calls for a task. */
export interface HostTaskRequest {
  /** A display name, for example the command's first word. */
  name: string;
  spec: TaskSpec;
  /** The task's own cache setting; its job's or project's otherwise. */
  cache?: CacheSetting;
}

/** What the controller answers once the task has finished. */
export interface HostTaskResult {
  taskId: string;
  attempt: number;
  outcome: AttemptOutcome;
  /** Whether the outcome was reused from the cache. */
  cached?: boolean;
}

/** Tells a task request that it is no longer wanted. */
export interface TaskSignal {
  /** Whether it has fired already. */
  readonly cancelled: boolean;
  /** Calls `listener` once, when it fires (at once if it has). */
  onCancel(listener: () => void): void;
}

/** The controller's side of one running job. */
export interface HostJobRuntime {
  /** The run's id, as `river logs` and `river events` take it. */
  runId: string;
  /** The job's name. */
  job: string;
  /** Upstream results by job name. */
  upstream: Readonly<Record<string, unknown>>;
  /** The project's source files, uploaded by the client at submit. */
  sources: readonly FileRef[];
  /** Every parameter's value, defaults filled in. */
  params: Readonly<Record<string, ParamValue>>;
  /**
   * Sends a task to the sandboxes and resolves with its final outcome.
   * When `signal` fires, the task is cancelled (killed if it runs) and the
   * promise rejects.
   */
  requestTask(
    request: HostTaskRequest,
    signal?: TaskSignal,
  ): Promise<HostTaskResult>;
  /** Records a message of the job logic in the run's events. */
  log(message: string): void;
  /** Ends the job as skipped; whatever it returns afterwards is ignored. */
  skip(reason: string): void;
  /** Files of the artifacts the job consumes, by artifact name. */
  artifacts: Readonly<Record<string, readonly FileRef[]>>;
  /** Hands on the files of an artifact the job declared it provides. */
  provide(name: string, files: readonly FileRef[]): void;
}

/** How the controller treats a job beyond its logic. */
export interface JobControl {
  /** Run even when an upstream job failed or was skipped (cleanup). */
  always?: boolean;
  /** A failure does not fail the run, and dependents still run. */
  allowFailure?: boolean;
  /** Fail the job when its logic runs longer than this. */
  timeoutMs?: number;
  /** The cache setting of the job's tasks that set none. */
  cache?: CacheSetting;
}

/** One job as the bundle exposes it. */
export interface BundleJob {
  name: string;
  needs: readonly string[];
  /**
   * Where the job was defined, as `line:column` of the bundled module, so
   * that errors about it can point at the project file.
   */
  definedAt?: string;
  /** Names of the artifacts the job provides. */
  provides?: readonly string[];
  /** Names of the artifacts the job consumes. */
  consumes?: readonly string[];
  control?: JobControl;
  start(host: HostJobRuntime): Promise<unknown>;
}

/** The default export of a bundled project module. */
export interface BundleProject {
  kind: 'river.project';
  apiVersion: typeof BUNDLE_API_VERSION;
  name: string;
  /**
   * Paths relative to the project file (files or directories) that the
   * client uploads at submit and jobs receive as `ctx.sources`.
   */
  sources: readonly string[];
  /** The parameters a run may be given. */
  params: readonly ParamSpec[];
  jobs: readonly BundleJob[];
  /** The cache setting of tasks whose task and job set none. */
  cache?: CacheSetting;
}

/** A file moved between tasks; re-exported for the bundle's users. */
export type { FileRef };
