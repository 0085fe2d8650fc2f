import { showRun } from '../render/show-run.js';
import { statusDisplay, statusMode } from '../render/status-display.js';
import { connectToExisting } from './context.js';
import { UNKNOWN_RUN_WAIT_MS } from './events.js';

/** Options of `river watch`. */
export interface WatchCommandOptions {
  json: boolean;
  quiet: boolean;
  /** Show only events stored after this sequence. */
  afterSeq: number | undefined;
}

/**
 * `river watch <runId>`: shows a run's progress, from its first event,
 * as `river run` does, until it has finished. Resolves with 0 when it
 * succeeded, 1 otherwise.
 */
export async function watchCommand(
  runId: string,
  options: WatchCommandOptions,
): Promise<number> {
  const client = await connectToExisting();
  try {
    const mode = statusMode(options, process.stdout);
    const shown = await showRun(
      client.watch(runId, {
        waitForRunMs: UNKNOWN_RUN_WAIT_MS,
        ...(options.afterSeq === undefined
          ? {}
          : { afterSeq: options.afterSeq }),
      }),
      statusDisplay(mode, process.stdout),
    );
    if (shown.status === undefined) {
      throw new Error(
        `The events of run ${runId} stopped before it finished; go on ` +
          `with: river watch ${runId} --after-seq ${shown.lastSeq}`,
      );
    }
    return shown.status === 'succeeded' ? 0 : 1;
  } finally {
    await client.close();
  }
}
