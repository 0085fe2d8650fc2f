import type { RunEvent } from '@river/protocol';
import type { RiverClient } from '@river/sdk/client';
import { describeEvent } from '../format.js';
import { connectOrStart } from './context.js';

/** Log lines shown under a failed task. */
const FAILED_TASK_LOG_LINES = 20;

/** Options of `river run`. */
export interface RunOptions {
  file: string;
  /** Parameter values as given on the command line. */
  params: Record<string, string>;
  json: boolean;
  quiet: boolean;
}

/**
 * The last lines a failed task printed, from the output tail its event
 * carries (stderr last, where the reason usually is), so that a huge log
 * is never downloaded just to show its end.
 */
function printFailedTask(
  event: Extract<RunEvent, { type: 'task.finished' }>,
  print: (line: string) => void,
): void {
  const { stdout, stderr } = event.outcome;
  const lines = [stdout, stderr]
    .flatMap((text) => (text === '' ? [] : text.trimEnd().split('\n')))
    .slice(-FAILED_TASK_LOG_LINES);
  if (lines.length === 0) {
    print(`      (task ${event.taskId} printed nothing)`);
    return;
  }
  print(`      last ${lines.length} lines of ${event.taskId}'s output:`);
  for (const line of lines) {
    print(`      │ ${line}`);
  }
}

/**
 * `river run <file>`: bundles, submits and follows a run, printing one
 * line per step. Resolves with the process exit code: 0 when the run
 * succeeded, 1 when it failed.
 */
export async function runCommand(options: RunOptions): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
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
      followRun(river.client, options, print, (line) =>
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
  print: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const { runId } = await client.submit(options.file, {
    params: options.params,
  });
  const failedTasks: Extract<RunEvent, { type: 'task.finished' }>[] = [];
  let status: string | undefined;
  for await (const event of client.watch(runId)) {
    if (options.json) {
      print(JSON.stringify(event));
    } else if (
      !options.quiet ||
      event.type === 'run.submitted' ||
      event.type === 'run.finished'
    ) {
      const line = describeEvent(event);
      if (line !== undefined) {
        print(line);
      }
    }
    if (event.type === 'task.finished' && !event.outcome.ok) {
      failedTasks.push(event);
      if (!options.json && event.outcome.reason !== 'cancelled') {
        printFailedTask(event, print);
      }
    }
    if (event.type === 'run.finished') {
      status = event.status;
    }
  }
  if (status === undefined) {
    throw new Error(
      'Lost the connection to NATS before the run finished; it may still ' +
        `be running. Follow it with: river events ${runId} --follow`,
    );
  }
  if (status === 'failed' && !options.json) {
    note(
      `Run ${runId} failed. Logs: river logs ${runId}${
        failedTasks[0] ? ` ${failedTasks[0].taskId}` : ''
      }`,
    );
  }
  return status === 'succeeded' ? 0 : 1;
}
