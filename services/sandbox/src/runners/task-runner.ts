import type { RunnerKind, TaskSpec } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import type { OutputSink, ProcessEnd } from '../runner.js';
import type { LimitReason } from './limits.js';

/**
 * Ceilings for one attempt, after the task's own limits were capped by
 * the sandbox's settings. Undefined means the runner sets none.
 */
export interface ResolvedLimits {
  memoryMb?: number;
  processes?: number;
  openFiles?: number;
  diskMb?: number;
  /** Files and directories the workspace may hold (a sandbox setting). */
  files?: number;
}

/** One attempt's command, as a runner receives it. */
export interface RunnerRequest {
  /** Names the attempt (`<runId>.<taskId>.<attempt>`) for cgroups, containers and logs. */
  attemptKey: string;
  /** A shell line for `/bin/sh -c`, or an argument vector. */
  command: string | readonly string[];
  /** Absolute path of the attempt's workspace on the sandbox's host. */
  workspace: string;
  /** Working directory relative to the workspace; '' is its root. */
  cwd: string;
  /**
   * The complete environment: declared variables and granted secrets over
   * the defaults PATH, HOME (the workspace) and TMPDIR (inside it). Values
   * that are paths into the workspace are given as host paths; a runner
   * that shows the workspace elsewhere maps them.
   */
  env: Record<string, string>;
  timeoutMs: number;
  /** Whether the task may reach the network. */
  network: boolean;
  limits: ResolvedLimits;
  /**
   * What the task expects to use, as it declared it: a hint, for runners
   * that reserve resources ahead (a Kubernetes pod's requests).
   */
  resources?: { cpus?: number; memoryMb?: number };
  /** The container image, for runners that use one. */
  image?: string;
  /** Aborting it stops the task as a timeout does. */
  signal?: AbortSignal;
  /** A logger whose lines carry the attempt's run and task ids. */
  log?: Logger;
}

/** How a runner's task ended. */
export type RunnerEnd = ProcessEnd & {
  /** Set when the task was stopped for going over one of its limits. */
  limit?: LimitReason;
};

/**
 * A way of running a task isolated from the sandbox and from other tasks.
 * Every runner gives the task its workspace, its environment and nothing
 * else it did not declare; they differ in how strong that isolation is.
 * A new kind (a microVM) implements this and is added to the sandbox's
 * runner registry.
 */
export interface TaskRunner {
  readonly kind: RunnerKind;
  /**
   * Why this runner cannot run a task as declared, in one sentence, or
   * undefined when it can. The sandbox asks before it fetches the task's
   * inputs, so that a task it would run only in part fails at once with
   * `runner-unavailable`. Runners that can run any task leave it out.
   */
  refuse?(spec: TaskSpec): string | undefined;
  /**
   * Runs the command and resolves once it and every process it started
   * have ended and their output was read into `sink`.
   */
  run(request: RunnerRequest, sink: OutputSink): Promise<RunnerEnd>;
}
