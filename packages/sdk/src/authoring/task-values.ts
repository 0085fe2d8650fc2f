import type { ShOptions } from './task.js';

/**
 * A task as a value: what to run and how. Subclass it to fix a command's
 * shape once and reuse it; run it with `ctx.run(task)`.
 *
 * @example
 * ```ts
 * class MakeTask extends Task {
 *   constructor(readonly target: string, options: ShOptions = {}) {
 *     super({ name: `make ${target}`, ...options });
 *   }
 *   command() {
 *     return ['make', '-j2', this.target];
 *   }
 * }
 * await ctx.run(new MakeTask('lib', { outputs: ['build/libx.a'] }));
 * ```
 */
export abstract class Task {
  readonly #options: ShOptions;

  constructor(options: ShOptions = {}) {
    this.#options = options;
  }

  /** The command: a shell line, or an argument vector run as is. */
  abstract command(): string | readonly string[];

  /**
   * The task's options (env, inputs, outputs, timeout, retries, pool…).
   * Override to add to or change what the constructor was given.
   */
  options(): ShOptions {
    return this.#options;
  }
}

/**
 * A shell command as a task value.
 *
 * @example
 * ```ts
 * const test = new ShellTask('make test', { timeoutMs: 60_000 });
 * const result = await ctx.run(test);
 * ```
 */
export class ShellTask extends Task {
  readonly #command: string | readonly string[];

  constructor(command: string | readonly string[], options: ShOptions = {}) {
    super(options);
    this.#command = command;
  }

  override command(): string | readonly string[] {
    return this.#command;
  }
}
