import type { Logger } from 'pino';

/**
 * One named step of a shutdown, for example `drain connection`, with the
 * longest it may take ({@link SHUTDOWN_STEP_LIMIT_MS} unless given).
 */
export type ShutdownStep = readonly [
  name: string,
  run: () => Promise<unknown>,
  limitMs?: number,
];

/**
 * How long a shutdown step may take unless it says otherwise. With the
 * NATS server gone, draining a connection or a subscription waits for a
 * server that may never come back; a service told to stop must end.
 */
export const SHUTDOWN_STEP_LIMIT_MS = 5_000;

/**
 * Runs each step in turn; a step that fails, or goes on past its limit,
 * is logged and the next one still runs, so one stuck resource does not
 * keep the others open.
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
  for (const [name, run, limitMs = SHUTDOWN_STEP_LIMIT_MS] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not end within ${limitMs} ms`)),
        limitMs,
      );
    });
    try {
      await Promise.race([Promise.resolve().then(run), late]);
    } catch (error) {
      log.warn({ step: name, err: error }, 'Shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
}
