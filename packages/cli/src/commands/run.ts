import type { RiverClient } from '@river/sdk/client';
import { showRun } from '../render/show-run.js';
import { statusDisplay, statusMode } from '../render/status-display.js';
import { connectOrStart } from './context.js';

/** Options of `river run`. */
export interface RunOptions {
  file: string;
  /** Parameter values as given on the command line. */
  params: Record<string, string>;
  json: boolean;
  quiet: boolean;
}

/**
 * `river run <file>`: bundles, submits and follows a run, showing its
 * progress as a live tree on a terminal and as a line per step elsewhere
 * (`--quiet`: failures and the summary; `--json`: event lines). Resolves
 * with the process exit code: 0 when the run
 * succeeded, 1 when it failed.
 */
export async function runCommand(options: RunOptions): Promise<number> {
  const note = (line: string) => {
    if (!options.json) {
      process.stderr.write(`${line}\n`);
    }
  };
  const river = await connectOrStart(note);
  const interrupted = new Promise<number>((resolve) => {
    process.once('SIGINT', () => resolve(130));
    process.once('SIGTERM', () => resolve(143));
  });
  try {
    return await Promise.race([
      followRun(river.client, options, (line) =>
        // The embedded River's store goes with it: no hint to read it.
        river.stack === undefined || !line.includes('river logs')
          ? note(line)
          : undefined,
      ),
      interrupted.then((code) => {
        note(
          river.stack === undefined
            ? 'Interrupted; the run goes on in River.'
            : 'Interrupted; stopping the embedded River.',
        );
        return code;
      }),
    ]);
  } finally {
    await river.close();
  }
}

async function followRun(
  client: RiverClient,
  options: RunOptions,
  note: (line: string) => void,
): Promise<number> {
  const { runId, events } = await client.submitAndWatch(options.file, {
    params: options.params,
  });
  const mode = statusMode(options, process.stdout);
  const shown = await showRun(events, statusDisplay(mode, process.stdout));
  if (shown.status === undefined) {
    throw new Error(
      'Lost the connection to NATS before the run finished; it may still ' +
        `be running. Follow it with: river watch ${runId}`,
    );
  }
  if (shown.status === 'failed' && !options.json) {
    note(
      `Run ${runId} failed. Logs: river logs ${runId}${
        shown.firstFailedTask ? ` ${shown.firstFailedTask}` : ''
      }`,
    );
  }
  return shown.status === 'succeeded' ? 0 : 1;
}
