import type { JobControl } from '@river/protocol';
import type { Artifact } from './artifacts.js';
import { DefinitionError } from './errors.js';
import {
  type Job,
  type JobContext,
  job,
  type Upstream,
  type UpstreamResults,
} from './job.js';

/** A matrix's axes: each parameter's name and the values it takes. */
export type MatrixAxes = Readonly<
  Record<string, readonly (string | number | boolean)[]>
>;

/** One combination of a matrix's parameters. */
export type MatrixCell<Axes extends MatrixAxes> = {
  readonly [Key in keyof Axes]: Axes[Key][number];
};

/**
 * Every combination of the axes' values, the first axis varying slowest.
 *
 * @example
 * ```ts
 * combinations({ cc: ['gcc', 'clang'], opt: ['-O0', '-O2'] });
 * // [{ cc: 'gcc', opt: '-O0' }, { cc: 'gcc', opt: '-O2' }, …]
 * ```
 */
export function combinations<const Axes extends MatrixAxes>(
  axes: Axes,
): MatrixCell<Axes>[] {
  let cells: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    if (values.length === 0) {
      throw new DefinitionError(`Matrix axis '${key}' has no values.`);
    }
    cells = cells.flatMap((cell) =>
      values.map((value) => ({ ...cell, [key]: value })),
    );
  }
  return cells as MatrixCell<Axes>[];
}

/** A cell's part of a job name: its values, made safe for an id. */
function cellName(cell: Record<string, unknown>): string {
  return Object.values(cell)
    .map((value) => String(value).replace(/[^A-Za-z0-9_-]+/g, '_'))
    .join('-');
}

/** Options of {@link matrix}. */
export interface MatrixOptions<
  Needs extends readonly Upstream[],
  Axes extends MatrixAxes = MatrixAxes,
> extends JobControl {
  /** Jobs every cell needs. */
  needs?: Needs;
  /** Artifacts each cell provides, as a function of the cell. */
  provides?: (cell: MatrixCell<Axes>) => readonly Artifact[];
  /** Artifacts each cell consumes, as a function of the cell. */
  consumes?: (cell: MatrixCell<Axes>) => readonly Artifact[];
}

/**
 * One job definition expanded over every combination of parameters. Each
 * cell is its own job, named `<name>-<value>-<value>…`, with its own
 * status, logs and result; list them all as another job's `needs`.
 *
 * @example
 * ```ts
 * const builds = matrix('build', { opt: ['O0', 'O2'] }, {}, (ctx, cell) =>
 *   ctx.sh(`make CFLAGS=-${cell.opt}`),
 * );
 * const pack = job('pack', { needs: builds }, async (ctx) => …);
 * ```
 * @throws DefinitionError when an axis is empty or two cells get one name.
 */
export function matrix<
  const Name extends string,
  const Axes extends MatrixAxes,
  const Needs extends readonly Upstream[],
  Result,
>(
  name: Name,
  axes: Axes,
  options: MatrixOptions<Needs, Axes>,
  logic: (
    context: JobContext<UpstreamResults<Needs>>,
    cell: MatrixCell<Axes>,
  ) => Promise<Result> | Result,
): Job<`${Name}-${string}`, Awaited<Result>>[] {
  const seen = new Set<string>();
  return combinations(axes).map((cell) => {
    const jobName = `${name}-${cellName(cell)}` as `${Name}-${string}`;
    if (seen.has(jobName)) {
      throw new DefinitionError(
        `Matrix ${name} gives two cells the job name ${jobName}; make the ` +
          'values differ in letters or digits.',
      );
    }
    seen.add(jobName);
    const { provides, consumes, needs, ...control } = options;
    return job(
      jobName,
      {
        ...control,
        needs: needs ?? ([] as unknown as Needs),
        provides: provides?.(cell) ?? [],
        consumes: consumes?.(cell) ?? [],
      },
      (context) => logic(context, cell),
    );
  });
}
