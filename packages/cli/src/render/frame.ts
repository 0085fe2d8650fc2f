import { outcomeText, outputTail, seconds } from '../format.js';
import type {
  JobState,
  JobView,
  RunView,
  TaskState,
  TaskView,
} from './run-view.js';

/** The terminal a frame is drawn for, and the time it is drawn at. */
export interface FrameSize {
  /** Columns; longer lines are cut to fit. */
  width: number;
  /** Rows; the frame never has more lines. */
  height: number;
  /** The clock for running durations. */
  now: number;
}

/** Output lines shown under a failed task in the tree. */
export const TREE_TAIL_LINES = 5;

const TASK_MARKS: Record<TaskState, string> = {
  queued: '·',
  running: '●',
  retrying: '↻',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
};

const JOB_MARKS: Record<JobState, string> = {
  waiting: '○',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
};

/** Which tasks come first when not all fit: the ones that need eyes. */
const TASK_ORDER: Record<TaskState, number> = {
  failed: 0,
  running: 1,
  retrying: 2,
  queued: 3,
  cancelled: 4,
  succeeded: 5,
};

/** A job's lines: its own, then those of its tasks. */
interface JobBlock {
  job: JobView;
  head: string;
  details: string[];
}

/**
 * Draws a run's status as a tree of jobs and their tasks, fitted to the
 * terminal: everything when it fits; otherwise finished tasks become a
 * count per job, finished and waiting jobs a line each, and the jobs
 * still going share the rows left, with `… N more` lines for the rest.
 * A pure function of the view, so that tests and the benchmark can call
 * it without a terminal.
 */
export function renderFrame(view: RunView, size: FrameSize): string {
  const height = Math.max(size.height, 3);
  const header = headerLine(view, size.now);
  const blocks = [...view.jobs.values()].map((job) =>
    jobBlock(job, size.now, false),
  );
  let body = blocks.flatMap((block) => [block.head, ...block.details]);
  if (body.length + 1 > height) {
    body = fitted(view, height - 1, size.now);
  }
  return [header, ...body].map((line) => cut(line, size.width)).join('\n');
}

/** The body squeezed into `rows` lines. */
function fitted(view: RunView, rows: number, now: number): string[] {
  const jobs = [...view.jobs.values()];
  const active = jobs.filter(
    (job) => job.state === 'running' || job.state === 'failed',
  );
  const counted = countLines(jobs.filter((job) => !active.includes(job)));
  const blocks = active.map((job) => jobBlock(job, now, true));
  const compact = [
    ...counted,
    ...blocks.flatMap((block) => [block.head, ...block.details]),
  ];
  if (compact.length <= rows) {
    return compact;
  }

  let left = rows - counted.length;
  if (blocks.length > left) {
    const shown = blocks.slice(0, Math.max(left - 1, 0));
    return [
      ...counted,
      ...shown.map((block) => block.head),
      `… ${blocks.length - shown.length} more jobs going`,
    ].slice(0, rows);
  }
  const lines = [...counted];
  blocks.forEach((block, index) => {
    const share = Math.floor(left / (blocks.length - index)) - 1;
    lines.push(block.head, ...capped(block, share));
    left -= 1 + Math.min(share, block.details.length);
  });
  return lines.slice(0, rows);
}

/** A block's details cut to `rows`, the last saying what is left out. */
function capped(block: JobBlock, rows: number): string[] {
  const all = block.details;
  if (all.length <= rows) {
    return all;
  }
  if (rows <= 0) {
    return [];
  }
  const shown = all.slice(0, rows - 1);
  const left = all.length - shown.length;
  return [...shown, `     … ${left} more lines of ${block.job.name}`];
}

/** One line per kind of job that is not going: finished or waiting. */
function countLines(jobs: JobView[]): string[] {
  const byState = new Map<JobState, number>();
  for (const job of jobs) {
    byState.set(job.state, (byState.get(job.state) ?? 0) + 1);
  }
  return [...byState].map(
    ([state, count]) =>
      `${JOB_MARKS[state]} ${count} job${count === 1 ? '' : 's'} ${state}`,
  );
}

function jobBlock(job: JobView, now: number, compact: boolean): JobBlock {
  const done = job.tasks.filter((task) => task.state === 'succeeded');
  const head = jobLine(job, now, done.length);
  if (!compact) {
    const details = job.tasks.flatMap((task) => taskLines(task, now));
    return { job, head, details };
  }
  const open = job.tasks
    .filter((task) => task.state !== 'succeeded')
    .sort((a, b) => TASK_ORDER[a.state] - TASK_ORDER[b.state]);
  const details = open.flatMap((task) => taskLines(task, now));
  if (done.length > 0) {
    details.push(
      `   ✓ ${done.length} task${done.length === 1 ? '' : 's'} done`,
    );
  }
  return { job, head, details };
}

function jobLine(job: JobView, now: number, done: number): string {
  const tasks = job.tasks.length;
  const count = tasks === 0 ? '' : ` · ${done}/${tasks} tasks`;
  const time =
    job.durationMs !== undefined
      ? ` in ${seconds(job.durationMs)}`
      : job.startedAt !== undefined
        ? ` ${seconds(now - job.startedAt)}`
        : '';
  const error = job.error === undefined ? '' : `: ${job.error}`;
  return `${JOB_MARKS[job.state]} ${job.name} ${job.state}${time}${count}${error}`;
}

/** A task's line, with its output tail under it when it failed. */
function taskLines(task: TaskView, now: number): string[] {
  const marks = [
    task.attempt > 1 ? `attempt ${task.attempt}` : '',
    task.retried ? '↻ retried' : '',
  ].filter((mark) => mark !== '');
  const line = `   ${TASK_MARKS[task.state]} ${task.taskId} ${stateText(task, now)}${
    marks.length === 0 ? '' : ` · ${marks.join(' · ')}`
  } · ${task.command}`;
  if (task.state !== 'failed' || task.finished === undefined) {
    return [line];
  }
  const tail = outputTail(task.finished, TREE_TAIL_LINES);
  return [line, ...tail.map((text) => `       │ ${text}`)];
}

function stateText(task: TaskView, now: number): string {
  switch (task.state) {
    case 'queued':
      if (task.waitingFor !== undefined) {
        return `waiting ${seconds(now - task.requestedAt)} for an identical task`;
      }
      return task.queuedBecause === undefined
        ? `queued ${seconds(now - task.requestedAt)}`
        : `queued ${seconds(now - task.requestedAt)}: ${task.queuedBecause}`;
    case 'running':
      return `running ${seconds(now - (task.attemptStartedAt ?? now))}`;
    case 'retrying':
      return 'waiting to retry';
    default:
      return task.finished === undefined
        ? task.state
        : outcomeText(task.finished);
  }
}

function headerLine(view: RunView, now: number): string {
  let done = 0;
  let running = 0;
  let failed = 0;
  let retried = 0;
  let cached = 0;
  for (const task of view.allTasks()) {
    done += task.state === 'succeeded' ? 1 : 0;
    running += task.state === 'running' ? 1 : 0;
    failed += task.state === 'failed' ? 1 : 0;
    retried += task.retried ? 1 : 0;
    cached += task.cached ? 1 : 0;
  }
  const state =
    view.finished === undefined
      ? `running ${seconds(now - (view.submittedAt ?? now))}`
      : `${view.finished.status} in ${seconds(view.finished.durationMs)}`;
  const counts = [
    `${done}/${view.tasks.size} tasks done`,
    cached > 0 ? `${cached} cached` : '',
    running > 0 ? `${running} running` : '',
    failed > 0 ? `${failed} failed` : '',
    retried > 0 ? `${retried} retried` : '',
  ].filter((part) => part !== '');
  const project = view.project === '' ? '' : ` · ${view.project}`;
  return `run ${view.runId}${project} · ${state} · ${counts.join(' · ')}`;
}

/** A line cut to the terminal's width, so that it never wraps. */
function cut(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width
    ? line
    : `${chars.slice(0, width - 1).join('')}…`;
}
