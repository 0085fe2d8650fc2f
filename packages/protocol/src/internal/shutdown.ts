import type { Logger } from 'pino';

/** One named step of a shutdown, for example `drain connection`. */
export type ShutdownStep = readonly [name: string, run: () => Promise<unknown>];

/**
 * Runs each step in turn; a step that fails is logged and the next one
 * still runs, so one stuck resource does not keep the others open.
 *
 * @example
 * ```ts
 * await runShutdown(log, [
 *   ['stop consumers', () => loop.stop()],
 *   ['drain connection', () => connection.nc.drain()],
 * ]);
 * ```
 */
export async function runShutdown(
  log: Logger,
  steps: readonly ShutdownStep[],
): Promise<void> {
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (error) {
      log.warn({ step: name, err: error }, 'Shutdown step failed');
    }
  }
}
