import { counted, outcomeText, outputTail, seconds } from '../format.js';
import type { RunView, TaskView } from './run-view.js';

/** Slowest tasks the summary names. */
export const SLOWEST_TASKS = 5;

/** Output lines shown under a failed task in the summary. */
export const SUMMARY_TAIL_LINES = 20;

/**
 * The lines printed once a run has finished (none when no event of it
 * came): its outcome with counts of jobs and tasks, its slowest tasks
 * (of those that ran: a reused result took no time here),
 * and, unless `failures` is false (they were printed as they happened),
 * each failed task with the end of its output.
 */
export function summaryLines(view: RunView, failures = true): string[] {
  if (view.runId === '') {
    // No event came (an unknown run): there is nothing to sum up.
    return [];
  }
  const tasks = [...view.allTasks()];
  const lines = [outcomeLine(view, tasks)];

  const slowest = tasks
    .filter((task) => task.durationMs !== undefined && !task.cached)
    .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
    .slice(0, SLOWEST_TASKS);
  if (slowest.length > 0) {
    lines.push('slowest tasks:');
    for (const task of slowest) {
      const time = seconds(task.durationMs ?? 0).padStart(7);
      lines.push(`  ${time}  ${task.taskId}  ${task.command}`);
    }
  }

  const failed = tasks.filter((task) => task.state === 'failed');
  if (failures && failed.length > 0) {
    lines.push('failed tasks:');
    for (const task of failed) {
      lines.push(...failedTaskLines(task));
    }
  }
  return lines;
}

/** A failed task's line and the last lines it printed. */
export function failedTaskLines(task: TaskView): string[] {
  if (task.finished === undefined) {
    return [];
  }
  const head = `  ✗ ${task.taskId} ${outcomeText(task.finished)}`;
  const tail = outputTail(task.finished, SUMMARY_TAIL_LINES);
  if (tail.length === 0) {
    return [head, `      (task ${task.taskId} printed nothing)`];
  }
  return [
    head,
    `      last ${counted(tail.length, 'line')} of ${task.taskId}'s output:`,
    ...tail.map((line) => `      │ ${line}`),
  ];
}

function outcomeLine(view: RunView, tasks: TaskView[]): string {
  const status =
    view.finished === undefined
      ? 'not finished'
      : `${view.finished.status} in ${seconds(view.finished.durationMs)}`;
  const jobs = countBy([...view.jobs.values()].map((job) => job.state));
  const cached = tasks.filter((task) => task.cached).length;
  const states = countBy(tasks.map((task) => task.state)).map((count) =>
    cached > 0 && count.endsWith(' succeeded')
      ? `${count} (${cached} cached)`
      : count,
  );
  const retried = tasks.filter((task) => task.retried).length;
  const taskCounts = retried > 0 ? [...states, `${retried} retried`] : states;
  return (
    `run ${view.runId} ${status} · ${counted(view.jobs.size, 'job')}: ` +
    `${jobs.join(', ')} · ${counted(tasks.length, 'task')}` +
    (taskCounts.length > 0 ? `: ${taskCounts.join(', ')}` : '')
  );
}

/** `3 succeeded, 1 failed`: how many of each value, in first-seen order. */
function countBy(values: string[]): string[] {
  const counts = new Map<string, number>();
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts].map(([value, count]) => `${count} ${value}`);
}
