import { explanationLines } from '../cache/explanation-text.js';
import { connectToExisting } from './context.js';

/** Options of `river why`. */
export interface WhyOptions {
  /** Print the task's `task.cache` events as JSON lines instead. */
  json: boolean;
}

/**
 * `river why <runId> <task>`: says whether the task (by id or name) was a
 * cache hit and whose result it reused, a miss and what changed since its
 * last request, waited for an identical task, or did not use the cache.
 * With `--json`, prints its `task.cache` events. Resolves with 0; throws
 * for an unknown run or task.
 */
export async function whyCommand(
  runId: string,
  task: string,
  options: WhyOptions,
): Promise<number> {
  const client = await connectToExisting();
  try {
    const why = await client.explainTask(runId, task);
    const lines = options.json
      ? why.events.map((event) => JSON.stringify(event))
      : explanationLines(why);
    process.stdout.write(lines.map((line) => `${line}\n`).join(''));
    return 0;
  } finally {
    await client.close();
  }
}
