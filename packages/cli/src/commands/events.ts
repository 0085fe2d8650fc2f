import type { FinalStatus } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import { describeEvent } from '../format.js';
import { connectToExisting } from './context.js';
import { StdoutWriter } from './stdout-writer.js';

/**
 * How long `river events` and `river watch` wait for a run id's first
 * event before they call it unknown: a run just submitted has its first
 * within a second while a controller runs.
 */
export const UNKNOWN_RUN_WAIT_MS = 5_000;

/** Options of `river events`. */
export interface EventsCommandOptions {
  follow: boolean;
  json: boolean;
  /** Only events stored after this sequence. */
  afterSeq: number | undefined;
  /** Every run's events (no run id given): the filters below apply. */
  project: string | undefined;
  status: FinalStatus | undefined;
  /** Events stored at or after this time. */
  since: Date | undefined;
}

/**
 * `river events <runId>` prints a run's events; `river events --all`
 * prints every run's, optionally filtered by project, final status and
 * time. With `--follow` it waits for new ones (for one run, until it has
 * finished); `--json` prints each as a JSON line with its `seq`, and
 * `--after-seq N` goes on after the sequence `N`.
 */
export async function eventsCommand(
  runId: string | undefined,
  options: EventsCommandOptions,
): Promise<number> {
  const client = await connectToExisting();
  const out = new StdoutWriter();
  try {
    const events =
      runId === undefined
        ? client.events({
            follow: options.follow,
            ...defined({
              afterSeq: options.afterSeq,
              project: options.project,
              status: options.status,
              since: options.since,
            }),
          })
        : client.watch(runId, {
            follow: options.follow,
            waitForRunMs: UNKNOWN_RUN_WAIT_MS,
            ...defined({ afterSeq: options.afterSeq }),
          });
    for await (const event of events) {
      const line = options.json ? JSON.stringify(event) : lineOf(event, runId);
      if (line !== undefined) {
        await out.write(`${line}\n`);
      }
    }
    return 0;
  } finally {
    await client.close();
  }
}

/** A human line; for all runs, it names the event's run. */
function lineOf(
  event: SequencedEvent,
  runId: string | undefined,
): string | undefined {
  const line = describeEvent(event);
  if (line === undefined || runId !== undefined) {
    return line;
  }
  return `${event.runId} ${line}`;
}

/** The options without those left undefined. */
function defined<T extends object>(
  options: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
