import { connectToExisting } from './context.js';

/**
 * `river logs <runId> [task]`: prints a run's stored logs, byte for byte,
 * each task's under a header line unless one task is named.
 */
export async function logsCommand(
  runId: string,
  taskId: string | undefined,
): Promise<number> {
  const client = await connectToExisting();
  try {
    let current: string | undefined;
    let any = false;
    for await (const chunk of client.logs(
      runId,
      taskId === undefined ? {} : { taskId },
    )) {
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
