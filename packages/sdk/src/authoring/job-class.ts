import type { HostJobRuntime, JobControl } from '@river/protocol';
import {
  type ArtifactOptions,
  artifactNames,
  checkJobName,
  contextFor,
  controlOf,
  type Job,
  type JobContext,
  type resultType,
  type Upstream,
  upstreamNames,
} from './job.js';
import { definitionSite } from './site.js';

/** Options of a {@link JobClass}. */
export interface JobClassOptions extends JobControl, ArtifactOptions {
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
  readonly provides: readonly string[];
  readonly consumes: readonly string[];
  readonly control: JobControl;
  readonly definedAt?: string;
  declare readonly [resultType]?: Result;

  /** @throws DefinitionError when the name is not a valid job name. */
  constructor(name: Name, options: JobClassOptions = {}) {
    checkJobName(name);
    this.name = name;
    this.needs = upstreamNames(options.needs ?? []);
    this.control = controlOf(options, `Job ${name}`);
    const definedAt = definitionSite();
    if (definedAt !== undefined) {
      this.definedAt = definedAt;
    }
    const { provides, consumes } = artifactNames(options);
    this.provides = provides;
    this.consumes = consumes;
  }

  /** The job's logic. */
  abstract run(context: JobContext<UpstreamMap>): Promise<Result>;

  /**
   * Whether the job runs at all; override to make it conditional. When it
   * returns false the job ends as skipped.
   */
  when(_context: JobContext<UpstreamMap>): boolean | Promise<boolean> {
    return true;
  }

  /** Called by the controller; runs {@link JobClass.run}. */
  async start(host: HostJobRuntime): Promise<unknown> {
    const context = contextFor<UpstreamMap>(host);
    if (!(await this.when(context))) {
      host.skip('its condition was false');
      return null;
    }
    return this.run(context);
  }
}
