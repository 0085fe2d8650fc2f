import type { RunEvent } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import { describe, expect, it } from 'vitest';
import { showRun } from './show-run.js';

const quiet = { event: () => undefined, finish: () => undefined };

/** The events that matter here; showRun reads no other field. */
function sequenced(events: Partial<RunEvent>[]): SequencedEvent[] {
  return events.map(
    (event, index) => ({ ...event, seq: index + 1 }) as SequencedEvent,
  );
}

const failed = { ok: false, reason: 'exit', exitCode: 1, durationMs: 5 };

async function* from(events: SequencedEvent[]) {
  yield* events;
}

describe('showRun', () => {
  it('points at the task that failed the job, not an earlier one its job let fail', async () => {
    const events = sequenced([
      { type: 'task.finished', taskId: 'probe-1', outcome: failed },
      { type: 'task.finished', taskId: 'build-1', outcome: failed },
      {
        type: 'job.finished',
        job: 'build',
        status: 'failed',
        error: 'Task build-1 (make) failed with exit code 1.',
      },
      { type: 'run.finished', status: 'failed' },
    ] as Partial<RunEvent>[]);

    const shown = await showRun(from(events), quiet);

    expect(shown).toEqual({
      status: 'failed',
      failedTask: 'build-1',
      lastSeq: 4,
    });
  });

  it('names no task when the failed job names none that failed', async () => {
    const events = sequenced([
      { type: 'task.finished', taskId: 'probe-1', outcome: failed },
      {
        type: 'job.finished',
        job: 'deploy',
        status: 'failed',
        error: 'Task deploy-9 (push) is what the job itself complains of',
      },
      { type: 'run.finished', status: 'failed' },
    ] as Partial<RunEvent>[]);

    const shown = await showRun(from(events), quiet);

    expect(shown.failedTask).toBeUndefined();
  });
});
