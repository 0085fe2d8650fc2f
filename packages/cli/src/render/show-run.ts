import type { FinalStatus } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import type { StatusDisplay } from './status-display.js';

/** What {@link showRun} saw of a run. */
export interface ShownRun {
  /** The run's final status, or undefined when its events stopped first. */
  status: FinalStatus | undefined;
  /**
   * The task whose log explains the failure, for a hint at it: the first
   * failed task that a failed job's error names. A job may go on past a
   * task that fails with `check: false`, and fail of its own accord.
   */
  failedTask: string | undefined;
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
    failedTask: undefined,
    lastSeq: 0,
  };
  const failed = new Set<string>();
  try {
    for await (const event of events) {
      display.event(event);
      shown.lastSeq = event.seq;
      if (event.type === 'run.finished') {
        shown.status = event.status;
      }
      if (event.type === 'task.finished' && !event.outcome.ok) {
        failed.add(event.taskId);
      }
      if (
        event.type === 'job.finished' &&
        event.status === 'failed' &&
        shown.failedTask === undefined
      ) {
        // A failed task's error names it: `Task <taskId> (<name>) ...`;
        // a job's own error might read alike, so the task must have failed.
        const named = /\bTask (\S+) \(/.exec(event.error ?? '')?.[1];
        shown.failedTask =
          named !== undefined && failed.has(named) ? named : undefined;
      }
    }
  } finally {
    display.finish();
  }
  return shown;
}
