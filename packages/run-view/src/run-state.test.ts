import { describe, expect, it } from 'vitest';
import {
  type EventRecord,
  foldRun,
  foldSummary,
  type RunDetail,
  type SequencedRecord,
} from './run-state.js';

const runId = 'run-1';

function history(...events: Omit<EventRecord, 'runId'>[]): SequencedRecord[] {
  return events.map((event, index) => ({
    seq: 10 + index,
    event: { ...event, runId } as EventRecord,
  }));
}

const outcome = (ok: boolean, reason = 'exited') => ({
  ok,
  reason,
  exitCode: ok ? 0 : 2,
  signal: null,
  durationMs: 5,
});

const events = history(
  { type: 'run.submitted', at: 1_000, file: 'p.ts', priority: 3 },
  {
    type: 'run.started',
    at: 1_010,
    project: 'demo',
    jobs: [
      { name: 'build', needs: [] },
      { name: 'test', needs: ['build'] },
    ],
  },
  { type: 'job.started', at: 1_020, job: 'build' },
  {
    type: 'task.requested',
    at: 1_030,
    job: 'build',
    taskId: 't1',
    name: 'make',
    command: 'make',
    pool: 'default',
  },
  {
    type: 'task.dispatched',
    at: 1_040,
    taskId: 't1',
    attempt: 1,
    pool: 'default',
  },
  {
    type: 'task.started',
    at: 1_050,
    taskId: 't1',
    attempt: 1,
    sandboxId: 'sb',
  },
  { type: 'task.lost', at: 1_060, taskId: 't1', attempt: 1, reason: 'gone' },
  {
    type: 'task.retrying',
    at: 1_061,
    taskId: 't1',
    attempt: 2,
    reason: 'lost',
  },
  {
    type: 'task.dispatched',
    at: 1_070,
    taskId: 't1',
    attempt: 2,
    pool: 'default',
  },
  {
    type: 'task.finished',
    at: 1_090,
    job: 'build',
    taskId: 't1',
    name: 'make',
    attempt: 2,
    outcome: outcome(false),
  },
  {
    type: 'job.finished',
    at: 1_095,
    job: 'build',
    status: 'failed',
    durationMs: 75,
    error: 'make failed',
  },
  {
    type: 'job.finished',
    at: 1_096,
    job: 'test',
    status: 'skipped',
    durationMs: 0,
  },
  {
    type: 'run.finished',
    at: 1_100,
    status: 'failed',
    durationMs: 100,
    error: 'build failed',
  },
);

describe('the run fold', () => {
  it('tells runs, jobs, tasks and attempts as the history says', () => {
    let detail: RunDetail | undefined;
    for (const record of events) detail = foldRun(detail, record);
    expect(detail?.summary).toMatchObject({
      runId,
      project: 'demo',
      file: 'p.ts',
      status: 'failed',
      submittedAt: 1_000,
      startedAt: 1_010,
      finishedAt: 1_100,
      durationMs: 100,
      error: 'build failed',
      priority: 3,
      jobCount: 2,
      seq: 22,
    });
    expect(detail?.jobs.map((job) => [job.name, job.status])).toEqual([
      ['build', 'failed'],
      ['test', 'skipped'],
    ]);
    expect(detail?.jobs[0]?.taskIds).toEqual(['t1']);
    expect(detail?.tasks.t1?.status).toBe('failed');
    expect(detail?.tasks.t1?.attempts).toEqual([
      {
        attempt: 1,
        dispatchedAt: 1_040,
        pool: 'default',
        startedAt: 1_050,
        sandboxId: 'sb',
        finishedAt: 1_060,
        result: 'lost',
        message: 'gone',
      },
      {
        attempt: 2,
        dispatchedAt: 1_070,
        pool: 'default',
        finishedAt: 1_090,
        result: 'exited',
        exitCode: 2,
      },
    ]);
    expect(detail?.eventCount).toBe(events.length);
  });

  it('ignores a repeated or older event', () => {
    let detail: RunDetail | undefined;
    for (const record of events) detail = foldRun(detail, record);
    const before = JSON.stringify(detail);
    for (const record of events) foldRun(detail, record);
    expect(JSON.stringify(detail)).toBe(before);
  });

  it('keeps a list line from run events alone', () => {
    let summary = foldSummary(undefined, events[0] as SequencedRecord);
    for (const record of events.slice(1))
      summary = foldSummary(summary, record);
    expect(summary.status).toBe('failed');
    expect(summary.project).toBe('demo');
  });
});

describe('the run fold, with events out of order', () => {
  it('fills a task in from its request stored after its dispatch', () => {
    const records = history(
      { type: 'task.dispatched', at: 5, taskId: 't1', attempt: 1, pool: 'gpu' },
      {
        type: 'task.requested',
        at: 4,
        job: 'build',
        taskId: 't1',
        name: 'make',
        command: 'make all',
        pool: 'gpu',
      },
    );
    let detail: RunDetail | undefined;
    for (const record of records) detail = foldRun(detail, record);
    expect(detail?.tasks.t1).toMatchObject({
      job: 'build',
      name: 'make',
      command: 'make all',
      status: 'dispatched',
      requestedAt: 4,
    });
    expect(detail?.jobs.map((job) => job.taskIds)).toEqual([['t1']]);
  });
});
