/**
 * River's authoring API: what a project file imports. It runs inside the
 * controller, so it touches no filesystem, network or process; every side
 * effect is a task run on a sandbox through `ctx.sh`.
 *
 * @example
 * ```ts
 * import { job, project } from '@river/sdk';
 *
 * const hello = job('hello', async (ctx) => {
 *   const result = await ctx.sh('echo hello from $(hostname)');
 *   return result.stdout.trim();
 * });
 *
 * export default project({ name: 'hello', jobs: [hello] });
 * ```
 *
 * The client (submit, watch, logs) lives at `@river/sdk/client`.
 *
 * @packageDocumentation
 */

export type { FileRef } from '@river/protocol';
export type {
  Artifact,
  ArtifactFiles,
  ArtifactShape,
} from './authoring/artifacts.js';
export { artifact } from './authoring/artifacts.js';
export {
  DefinitionError,
  RiverError,
  RiverErrorCode,
} from './authoring/errors.js';
export { placeUnder, takeFrom } from './authoring/files.js';
export type { BranchResult, ForkOptions } from './authoring/fork.js';
export { CancelSignal, fork, forkSettled } from './authoring/fork.js';
export type {
  ArtifactOptions,
  Job,
  JobContext,
  JobLogic,
  JobOptions,
  Upstream,
  UpstreamResults,
} from './authoring/job.js';
export { job } from './authoring/job.js';
export type { JobClassOptions } from './authoring/job-class.js';
export { JobClass } from './authoring/job-class.js';
export type {
  MatrixAxes,
  MatrixCell,
  MatrixOptions,
} from './authoring/matrix.js';
export { combinations, matrix } from './authoring/matrix.js';
export type { Param } from './authoring/params.js';
export { param } from './authoring/params.js';
export type { ProjectOptions } from './authoring/project.js';
export { project } from './authoring/project.js';
export type { ConcurrencySetting } from './authoring/scheduling.js';
export type { ShOptions, TaskResult } from './authoring/task.js';
export {
  DEFAULT_TASK_TIMEOUT_MS,
  describeFailure,
  TaskFailedError,
} from './authoring/task.js';
export { ShellTask, Task } from './authoring/task-values.js';
