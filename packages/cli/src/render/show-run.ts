import type { FinalStatus } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import type { StatusDisplay } from './status-display.js';

/** What {@link showRun} saw of a run. */
export interface ShownRun {
  /** The run's final status, or undefined when its events stopped first. */
  status: FinalStatus | undefined;
  /** The first task that failed, for a hint at its log. */
  firstFailedTask: string | undefined;
  /** The sequence of the last event shown, to resume from. */
  lastSeq: number;
}

/**
 * Feeds a run's events to a display until they end, then has it print
 * its summary.
 */
export async function showRun(
  events: AsyncIterable<SequencedEvent>,
  display: StatusDisplay,
): Promise<ShownRun> {
  const shown: ShownRun = {
    status: undefined,
    firstFailedTask: undefined,
    lastSeq: 0,
  };
  try {
    for await (const event of events) {
      display.event(event);
      shown.lastSeq = event.seq;
      if (event.type === 'run.finished') {
        shown.status = event.status;
      }
      if (
        event.type === 'task.finished' &&
        !event.outcome.ok &&
        shown.firstFailedTask === undefined
      ) {
        shown.firstFailedTask = event.taskId;
      }
    }
  } finally {
    display.finish();
  }
  return shown;
}
