import type { BundleProject, CacheSetting } from '@river/protocol';
import { checkCacheSetting } from './cache.js';
import { DefinitionError } from './errors.js';
import type { Job } from './job.js';
import type { Param } from './params.js';

/** Options of a project. */
export interface ProjectOptions {
  /** The project's name, shown in status and events. */
  name: string;
  /**
   * Files or directories, relative to the project file, that `river run`
   * uploads and every job receives as `ctx.sources`, ready to pass to a
   * task's `inputs`. `node_modules`, `.git` and `dist` are skipped.
   */
  sources?: readonly string[];
  /** Parameters a run may be given with `--param name=value`. */
  params?: readonly Param<unknown>[];
  /** Every job of the project, in any order. */
  jobs: readonly Job<string, unknown>[];
  /**
   * Whether tasks reuse earlier results with the same inputs, unless their
   * job or the task itself says otherwise; off by default.
   */
  cache?: CacheSetting;
}

/**
 * Declares a project: a DAG of jobs. The project file's default export.
 *
 * @example
 * ```ts
 * export default project({ name: 'hello', jobs: [greet] });
 * ```
 * @throws DefinitionError when the name or job list is missing. Cycles,
 *   duplicate names and unknown upstream jobs are reported by the
 *   controller when the run starts, all of them at once.
 */
export function project(options: ProjectOptions): BundleProject {
  if (typeof options?.name !== 'string' || options.name.trim() === '') {
    throw new DefinitionError('project() needs a name.');
  }
  if (!Array.isArray(options.jobs) || options.jobs.length === 0) {
    throw new DefinitionError(
      `Project ${options.name} has no jobs: pass them as project({ jobs }).`,
    );
  }
  const paramNames = (options.params ?? []).map((param) => param.name);
  const repeated = paramNames.find(
    (name, index) => paramNames.indexOf(name) !== index,
  );
  if (repeated !== undefined) {
    throw new DefinitionError(
      `Project ${options.name} declares parameter ${repeated} twice.`,
    );
  }
  const cache = checkCacheSetting(options.cache, `Project ${options.name}`);
  return {
    ...(cache === undefined ? {} : { cache }),
    kind: 'river.project',
    apiVersion: 1,
    name: options.name,
    sources: [...(options.sources ?? [])],
    params: [...(options.params ?? [])],
    jobs: [...options.jobs],
  };
}
