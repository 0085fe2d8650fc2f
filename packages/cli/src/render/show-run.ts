import type { FinalStatus } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import type { StatusDisplay } from './status-display.js';

/** What {@link showRun} saw of a run. */
export interface ShownRun {
  /** The run's final status, or undefined when its events stopped first. */
  status: FinalStatus | undefined;
  /**
   * The task whose log explains the failure, for a hint at it: the task
   * that failed the first failed job, else the first task that failed
   * (a job may go on past a task that fails with `check: false`).
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
  let firstFailed: string | undefined;
  let failingJobTask: string | undefined;
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
        firstFailed === undefined
      ) {
        firstFailed = event.taskId;
      }
      if (
        event.type === 'job.finished' &&
        event.status === 'failed' &&
        failingJobTask === undefined
      ) {
        // A failed task's error names it: `Task <taskId> (<name>) ...`.
        failingJobTask = /\bTask (\S+) \(/.exec(event.error ?? '')?.[1];
      }
    }
  } finally {
    display.finish();
  }
  shown.failedTask = failingJobTask ?? firstFailed;
  return shown;
}
