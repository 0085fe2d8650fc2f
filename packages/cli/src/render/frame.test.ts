import { describe, expect, it } from 'vitest';
import { renderFrame } from './frame.js';
import { RunView } from './run-view.js';
import { summaryLines } from './summary.js';
import { syntheticRun } from './synthetic-run.js';

const WIDE = { width: 120, height: 60 };

function viewOf(count: number, run = syntheticRun(2, 2, 3)): RunView {
  const view = new RunView();
  for (const event of run.events.slice(0, count)) {
    view.apply(event);
  }
  return view;
}

describe('the status tree', () => {
  it('shows each job with its tasks, states, attempts and retry marks', () => {
    const view = viewOf(Number.POSITIVE_INFINITY);

    const frame = renderFrame(view, { ...WIDE, now: view.lastEventAt });

    expect(frame.split('\n')).toEqual([
      'run run-synthetic-0001 · big · failed in 0.0s · 3/4 tasks done · ' +
        '1 failed · 1 retried',
      '✓ job1 succeeded in 0.2s · 2/2 tasks',
      '   ✓ job1-1 ok in 0.1s · make part-1',
      '   ✓ job1-2 ok in 0.2s · make part-2',
      '✓ job2 succeeded in 0.2s · 1/2 tasks',
      '   ✗ job2-1 failed with exit code 1 · attempt 2 · ↻ retried · ' +
        'make part-1',
      '       │ building part 1',
      '       │ error: part 1 broke',
      '   ✓ job2-2 ok in 0.2s · make part-2',
    ]);
  });

  it('shows a running task with how long it has run, and queued ones', () => {
    const run = syntheticRun(1, 2);
    // The first task has started, not ended; the second is asked for.
    const view = viewOf(5, run);
    const second = run.events[6];
    if (second?.type !== 'task.requested') {
      throw new Error('The synthetic run changed its order');
    }
    view.apply(second);
    const startedAt = run.events[4]?.at ?? 0;

    const frame = renderFrame(view, { ...WIDE, now: startedAt + 2_500 });

    expect(frame).toContain('▶ job1 running');
    expect(frame).toContain('   ● job1-1 running 2.5s · make part-1');
    expect(frame).toContain('   · job1-2 queued');
    expect(frame).toMatch(/^run run-synthetic-0001 · big · running/);
  });

  it('fits a thousand tasks into the terminal, collapsing finished jobs', () => {
    const run = syntheticRun(10, 100, 0);
    // Stop in the middle of the sixth job.
    const middle = run.events.findIndex(
      (event) => event.type === 'task.started' && event.taskId === 'job6-40',
    );
    const view = viewOf(middle + 1, run);

    const frame = renderFrame(view, { width: 80, height: 20, now: 0 });
    const lines = frame.split('\n');

    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.every((line) => [...line].length <= 80)).toBe(true);
    expect(frame).toContain('✓ 5 jobs succeeded');
    expect(frame).toContain('○ 4 jobs waiting');
    expect(frame).toContain('● job6-40 running');
    expect(frame).toContain('✓ 39 tasks done');
  });

  it('names how many jobs it could not show when even their heads do not fit', () => {
    const run = syntheticRun(50, 2, 0);
    const view = new RunView();
    // Every job started, none finished.
    for (const event of run.events) {
      if (event.type !== 'job.finished' && event.type !== 'task.finished') {
        view.apply(event);
      }
    }

    const lines = renderFrame(view, { width: 80, height: 10, now: 0 }).split(
      '\n',
    );

    expect(lines).toHaveLength(10);
    expect(lines.at(-1)).toBe('… 42 more jobs going');
  });

  it('cuts lines wider than the terminal instead of wrapping them', () => {
    const view = viewOf(Number.POSITIVE_INFINITY);

    const lines = renderFrame(view, { width: 30, height: 40, now: 0 }).split(
      '\n',
    );

    expect(lines.every((line) => [...line].length <= 30)).toBe(true);
    expect(lines[0]).toMatch(/…$/);
  });
});

describe('the summary', () => {
  it('names the outcome, the slowest tasks and the failed ones with their output', () => {
    const view = viewOf(Number.POSITIVE_INFINITY, syntheticRun(2, 3, 4));

    const lines = summaryLines(view);

    expect(lines[0]).toBe(
      'run run-synthetic-0001 failed in 0.0s · 2 jobs: 2 succeeded · ' +
        '6 tasks: 5 succeeded, 1 failed, 1 retried',
    );
    expect(lines.slice(1, 4)).toEqual([
      'slowest tasks:',
      '     0.3s  job1-3  make part-3',
      '     0.3s  job2-3  make part-3',
    ]);
    expect(lines).toContain('failed tasks:');
    expect(lines).toContain('  ✗ job2-1 failed with exit code 1');
    expect(lines).toContain('      │ error: part 1 broke');
  });

  it('counts one job and one task in the singular', () => {
    const view = viewOf(Number.POSITIVE_INFINITY, syntheticRun(1, 1));

    expect(summaryLines(view)[0]).toBe(
      'run run-synthetic-0001 succeeded in 0.0s · 1 job: 1 succeeded · ' +
        '1 task: 1 succeeded',
    );
  });
});

/** The synthetic run with every task reused from run `run-origin-0001`. */
function cachedRun(jobs: number, tasksPerJob: number): RunView {
  const view = new RunView();
  for (const event of syntheticRun(jobs, tasksPerJob).events) {
    view.apply(
      event.type === 'task.finished'
        ? {
            ...event,
            cached: {
              runId: 'run-origin-0001',
              taskId: event.taskId,
              attempt: 1,
              finishedAt: 1_600_000_000_000,
            },
          }
        : event,
    );
  }
  return view;
}

describe('tasks reused from the cache', () => {
  it('show as cached, with the run they came from, in the tree', () => {
    const view = cachedRun(1, 2);
    const lines = renderFrame(view, { ...WIDE, now: view.lastEventAt }).split(
      '\n',
    );
    expect(lines[0]).toContain('2/2 tasks done · 2 cached');
    expect(lines).toContain(
      '   ✓ job1-1 cached (from run-origin-0001) · make part-1',
    );
  });

  it('are counted in the summary and left out of the slowest tasks', () => {
    const lines = summaryLines(cachedRun(2, 5));
    expect(lines[0]).toBe(
      'run run-synthetic-0001 succeeded in 0.0s · 2 jobs: 2 succeeded · ' +
        '10 tasks: 10 succeeded (10 cached)',
    );
    expect(lines).not.toContain('slowest tasks:');
  });

  it('show a task that waits for an identical one as waiting', () => {
    const run = syntheticRun(1, 1);
    const view = viewOf(4, run);
    view.apply({
      schema: 1,
      type: 'task.cache',
      runId: view.runId,
      at: view.lastEventAt + 1,
      taskId: 'job1-1',
      result: 'wait',
      key: 'k',
      changes: ['task job1-1 of run run-other runs the same key now'],
    });
    const requestedAt = view.tasks.get('job1-1')?.requestedAt ?? 0;
    const frame = renderFrame(view, { ...WIDE, now: requestedAt + 3_000 });
    expect(frame).toContain(
      '   · job1-1 waiting 3.0s for an identical task · make part-1',
    );
  });
});
