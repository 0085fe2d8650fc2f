import type { LogStream } from '@river/protocol';
import { connectToExisting } from './context.js';

/** Options of `river logs`. */
export interface LogsOptions {
  follow: boolean;
  /** Only this output of the tasks. */
  stream: LogStream | undefined;
}

/**
 * `river logs <runId> [task] [--follow] [--stream stdout|stderr]`: prints
 * a run's stored logs, byte for byte, each task's under a header line
 * unless one task is named; with `--follow`, until the run finishes.
 */
export async function logsCommand(
  runId: string,
  taskId: string | undefined,
  options: LogsOptions,
): Promise<number> {
  const client = await connectToExisting();
  try {
    let current: string | undefined;
    let any = false;
    for await (const chunk of client.logs(runId, {
      ...(taskId === undefined ? {} : { taskId }),
      follow: options.follow,
    })) {
      if (options.stream !== undefined && chunk.stream !== options.stream) {
        continue;
      }
      any = true;
      if (taskId === undefined && chunk.taskId !== current) {
        current = chunk.taskId;
        process.stdout.write(
          `==> ${chunk.taskId} (attempt ${chunk.attempt}) <==\n`,
        );
      }
      process.stdout.write(chunk.data);
    }
    if (!any) {
      process.stderr.write(
        `No logs stored for run ${runId}${taskId ? ` task ${taskId}` : ''}.\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await client.close();
  }
}
