import { DefinitionError } from './errors.js';

/** Options of {@link fork} and {@link forkSettled}. */
export interface ForkOptions {
  /** Branches running at once; unlimited unless set. */
  concurrency?: number;
}

/** How one branch of {@link forkSettled} ended. */
export type BranchResult<Result> =
  | { ok: true; value: Result }
  | { ok: false; error: string };

function limitOf(options: ForkOptions, count: number): number {
  const limit = options.concurrency ?? count;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new DefinitionError(
      `fork() concurrency must be a whole number of 1 or more, not ${limit}.`,
    );
  }
  return Math.max(1, Math.min(limit, count));
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Runs `branch` for every item, at most `concurrency` at once, and
 * resolves with the results in the items' order. Fails fast: the first
 * branch that throws rejects the fork, and no further branch starts
 * (branches already running finish on their own).
 *
 * @example
 * ```ts
 * const results = await fork(files, (file) => ctx.sh(['gzip', file]), {
 *   concurrency: 8,
 * });
 * ```
 */
export async function fork<Item, Result>(
  items: Iterable<Item>,
  branch: (item: Item, index: number) => Promise<Result>,
  options: ForkOptions = {},
): Promise<Result[]> {
  const list = [...items];
  const results: Result[] = new Array(list.length);
  let next = 0;
  let failed = false;

  async function lane(): Promise<void> {
    while (!failed && next < list.length) {
      const index = next++;
      try {
        results[index] = await branch(list[index] as Item, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }

  const lanes = Array.from({ length: limitOf(options, list.length) }, lane);
  await Promise.all(lanes);
  return results;
}

/**
 * Runs `branch` for every item, at most `concurrency` at once, and
 * collects how each one ended, failures included, in the items' order.
 *
 * @example
 * ```ts
 * const outcomes = await forkSettled(suites, (suite) => ctx.sh(suite));
 * const failed = outcomes.filter((outcome) => !outcome.ok);
 * ```
 */
export async function forkSettled<Item, Result>(
  items: Iterable<Item>,
  branch: (item: Item, index: number) => Promise<Result>,
  options: ForkOptions = {},
): Promise<BranchResult<Result>[]> {
  return fork(
    items,
    async (item, index): Promise<BranchResult<Result>> => {
      try {
        return { ok: true, value: await branch(item, index) };
      } catch (error) {
        return { ok: false, error: messageOf(error) };
      }
    },
    options,
  );
}
