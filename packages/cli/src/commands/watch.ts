import type { FinalStatus } from '@river/protocol';
import type { RiverClient } from '@river/sdk/client';
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
    // Resumed after the run's end, the watch shows nothing new: its
    // history says how it ended.
    const status =
      shown.status ??
      (options.afterSeq === undefined
        ? undefined
        : await finalStatus(client, runId));
    if (status === undefined) {
      const lastSeq = Math.max(shown.lastSeq, options.afterSeq ?? 0);
      throw new Error(
        `The events of run ${runId} stopped before it finished; go on ` +
          `with: river watch ${runId} --after-seq ${lastSeq}`,
      );
    }
    return status === 'succeeded' ? 0 : 1;
  } finally {
    await client.close();
  }
}

/** How the run ended, from its stored events; undefined while it runs. */
async function finalStatus(
  client: RiverClient,
  runId: string,
): Promise<FinalStatus | undefined> {
  let status: FinalStatus | undefined;
  for await (const event of client.watch(runId, { follow: false })) {
    if (event.type === 'run.finished') {
      status = event.status;
    }
  }
  return status;
}
