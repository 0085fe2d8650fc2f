import type { TaskSignal } from '@river/protocol';
import { DefinitionError } from './errors.js';

/**
 * Tells a branch's tasks that they are no longer wanted: pass it to
 * `ctx.sh(command, { signal })`, and a failing sibling cancels them.
 */
export class CancelSignal implements TaskSignal {
  #cancelled = false;
  readonly #listeners: (() => void)[] = [];

  /** Whether the branch's fork has given up. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Calls `listener` once, when the signal fires. */
  onCancel(listener: () => void): void {
    if (this.#cancelled) {
      listener();
    } else {
      this.#listeners.push(listener);
    }
  }

  /** Fires the signal. */
  cancel(): void {
    if (this.#cancelled) {
      return;
    }
    this.#cancelled = true;
    for (const listener of this.#listeners.splice(0)) {
      listener();
    }
  }
}

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
  if (typeof message === 'string') {
    return message;
  }
  try {
    return typeof error === 'object' && error !== null
      ? (JSON.stringify(error) ?? 'an unprintable error')
      : String(error);
  } catch {
    return 'an unprintable error';
  }
}

/**
 * Runs `branch` for every item, at most `concurrency` at once, and
 * resolves with the results in the items' order. Fails fast: the first
 * branch that throws rejects the fork, no further branch starts, and the
 * tasks of running branches that were given the branch's `signal` are
 * cancelled (killed if they run).
 *
 * @example
 * ```ts
 * const results = await fork(
 *   files,
 *   (file, _index, signal) => ctx.sh(['gzip', file], { signal }),
 *   { concurrency: 8 },
 * );
 * ```
 */
export async function fork<Item, Result>(
  items: Iterable<Item>,
  branch: (item: Item, index: number, signal: CancelSignal) => Promise<Result>,
  options: ForkOptions = {},
): Promise<Result[]> {
  const list = [...items];
  if (list.length === 0) {
    return [];
  }
  const results: Result[] = new Array(list.length);
  const signal = new CancelSignal();
  let next = 0;
  let failed = false;

  async function lane(): Promise<void> {
    while (!failed && next < list.length) {
      const index = next++;
      try {
        results[index] = await branch(list[index] as Item, index, signal);
      } catch (error) {
        failed = true;
        signal.cancel();
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
