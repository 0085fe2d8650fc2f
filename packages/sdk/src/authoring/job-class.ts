import type { HostJobRuntime } from '@river/protocol';
import {
  checkJobName,
  contextFor,
  type Job,
  type JobContext,
  type resultType,
  type Upstream,
  upstreamNames,
} from './job.js';

/** Options of a {@link JobClass}. */
export interface JobClassOptions {
  /** Jobs whose results this job needs. */
  needs?: readonly Upstream[];
}

/**
 * A job as a class: extend it, implement `run`, and split the work into
 * methods that subclasses may override. Instances go into a project's
 * `jobs` like any other job, so a library of job classes with constructor
 * parameters can serve many projects.
 *
 * @example
 * ```ts
 * class Lint extends JobClass<number> {
 *   constructor(readonly paths: string[]) {
 *     super('lint');
 *   }
 *   async run(ctx: JobContext) {
 *     return (await ctx.sh(['eslint', ...this.paths])).exitCode;
 *   }
 * }
 * ```
 */
export abstract class JobClass<
  Result = unknown,
  UpstreamMap = Record<string, unknown>,
  Name extends string = string,
> implements Job<Name, Result>
{
  readonly name: Name;
  readonly needs: readonly string[];
  declare readonly [resultType]?: Result;

  /** @throws DefinitionError when the name is not a valid job name. */
  constructor(name: Name, options: JobClassOptions = {}) {
    checkJobName(name);
    this.name = name;
    this.needs = upstreamNames(options.needs ?? []);
  }

  /** The job's logic. */
  abstract run(context: JobContext<UpstreamMap>): Promise<Result>;

  /** Called by the controller; runs {@link JobClass.run}. */
  start(host: HostJobRuntime): Promise<unknown> {
    return this.run(contextFor<UpstreamMap>(host));
  }
}
