import type { RunEvent } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import { RunView } from './run-view.js';

const origin = { runId: 'run-a', taskId: 'build-1', attempt: 1, finishedAt: 1 };
const outcome = {
  ok: true,
  reason: 'exited',
  exitCode: 0,
  signal: null,
  durationMs: 300,
  stdout: '',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  files: [],
};

/** Events with the fields every event has filled in. */
function events(partial: Partial<RunEvent>[]): RunEvent[] {
  return partial.map(
    (event, index) =>
      ({ schema: 1, runId: 'run-b', at: index + 1, ...event }) as RunEvent,
  );
}

describe('RunView', () => {
  it('shows a task answered from the cache before its request was recorded as cached', () => {
    const view = new RunView();
    for (const event of events([
      {
        type: 'task.cache',
        taskId: 'build-1',
        result: 'hit',
        key: 'k',
        changes: [],
        from: origin,
      },
      {
        type: 'task.finished',
        job: 'build',
        taskId: 'build-1',
        name: 'make',
        attempt: 1,
        outcome,
        cached: origin,
      },
      {
        type: 'task.requested',
        job: 'build',
        taskId: 'build-1',
        name: 'make',
        command: 'make',
        pool: 'default',
      },
    ] as Partial<RunEvent>[])) {
      view.apply(event);
    }

    const task = view.tasks.get('build-1');
    expect(task?.state).toBe('succeeded');
    expect(task?.cached).toBe(true);
    expect(view.jobs.get('build')?.tasks).toHaveLength(1);
  });
});
