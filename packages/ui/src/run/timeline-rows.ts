/** The timeline's rows: each job, then each attempt of its tasks. */
import type { RunDetail } from '@river/run-view';
import { attemptStatus } from './attempt-status.js';

/** One row of the timeline. */
export interface TimelineRow {
  kind: 'job' | 'attempt';
  /** The job's name, for both kinds. */
  job: string;
  /** Its visible name. */
  label: string;
  status: string;
  /** When its bar starts; none while it waits. */
  start: number | undefined;
  /** When its bar ends; none while it runs. */
  end: number | undefined;
  taskId?: string;
  attempt?: number;
  /** More to say on hover or focus: command, sandbox, result. */
  notes: string[];
}

/**
 * Every row, jobs in the run's order each followed by its tasks'
 * attempts; a task without an attempt yet gets one waiting row.
 */
export function timelineRows(detail: RunDetail): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const job of detail.jobs) {
    rows.push({
      kind: 'job',
      job: job.name,
      label: job.name,
      status: job.status,
      start: job.startedAt,
      end: job.finishedAt,
      notes: job.error ? [job.error] : [],
    });
    for (const taskId of job.taskIds) {
      const task = detail.tasks[taskId];
      if (!task) continue;
      if (task.attempts.length === 0) {
        rows.push({
          kind: 'attempt',
          job: job.name,
          label: task.name,
          status: task.status,
          start: undefined,
          end: undefined,
          taskId,
          notes: [task.command, task.queuedReason ?? ''].filter(Boolean),
        });
      }
      for (const attempt of task.attempts) {
        const notes = [task.command];
        if (attempt.sandboxId) notes.push(`sandbox ${attempt.sandboxId}`);
        if (attempt.result && attempt.result !== 'ok') {
          notes.push(`result ${attempt.result}`);
        }
        if (attempt.exitCode !== undefined && attempt.exitCode !== null) {
          notes.push(`exit code ${attempt.exitCode}`);
        }
        if (attempt.message) notes.push(attempt.message);
        rows.push({
          kind: 'attempt',
          job: job.name,
          label: `${task.name} #${attempt.attempt}`,
          status: attemptStatus(task, attempt),
          start: attempt.startedAt ?? attempt.dispatchedAt,
          end: attempt.finishedAt,
          taskId,
          attempt: attempt.attempt,
          notes,
        });
      }
    }
  }
  return rows;
}

/** The time span the axis covers: the run's start to its end (or now). */
export function timelineSpan(
  detail: RunDetail,
  now: number,
): { start: number; end: number } {
  const summary = detail.summary;
  const start = summary.startedAt ?? summary.submittedAt;
  const end = Math.max(summary.finishedAt ?? now, start + 1);
  return { start, end };
}

/** Round tick steps for the axis, in ms. */
const TICK_STEPS_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000,
  300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
  43_200_000, 86_400_000,
];

/** Offsets from the start, in ms, for about `count` axis ticks. */
export function axisTicks(spanMs: number, count = 6): number[] {
  const wanted = spanMs / count;
  const step =
    TICK_STEPS_MS.find((candidate) => candidate >= wanted) ??
    TICK_STEPS_MS[TICK_STEPS_MS.length - 1] ??
    wanted;
  const ticks: number[] = [];
  for (let offset = 0; offset <= spanMs; offset += step) ticks.push(offset);
  return ticks;
}
