import type { Logger } from '@river/protocol/internal';

/** One named step of a shutdown. */
export type ShutdownStep = readonly [name: string, run: () => Promise<void>];

/**
 * Runs each step in turn; a step that fails is logged and the next one
 * still runs, so one stuck resource does not keep the others open.
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
