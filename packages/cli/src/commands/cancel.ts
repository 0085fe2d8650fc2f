import { connectToExisting } from './context.js';

/**
 * `river cancel <runId> [--reason text]`: asks River to cancel a run and
 * waits for the run's final event.
 */
export async function cancelCommand(
  runId: string,
  reason: string | undefined,
): Promise<number> {
  const client = await connectToExisting();
  try {
    for await (const event of client.watch(runId, { follow: false })) {
      if (event.type === 'run.finished') {
        process.stderr.write(
          `Run ${runId} had already finished: ${event.status}.\n`,
        );
        return 1;
      }
    }
    await client.cancel(runId, reason);
    process.stdout.write(`Cancel requested for run ${runId}.\n`);
    for await (const event of client.watch(runId)) {
      if (event.type === 'run.finished') {
        process.stdout.write(`Run ${runId} ended: ${event.status}.\n`);
        return event.status === 'cancelled' ? 0 : 1;
      }
    }
    return 1;
  } finally {
    await client.close();
  }
}
