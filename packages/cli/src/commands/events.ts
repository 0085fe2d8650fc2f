import { describeEvent } from '../format.js';
import { connectToExisting } from './context.js';

/**
 * `river events <runId> [--follow] [--json]`: prints a run's events; with
 * `--follow` it waits for new ones until the run finishes.
 */
export async function eventsCommand(
  runId: string,
  options: { follow: boolean; json: boolean },
): Promise<number> {
  const client = await connectToExisting();
  try {
    for await (const event of client.watch(runId, { follow: options.follow })) {
      const line = options.json ? JSON.stringify(event) : describeEvent(event);
      if (line !== undefined) {
        process.stdout.write(`${line}\n`);
      }
    }
    return 0;
  } finally {
    await client.close();
  }
}
