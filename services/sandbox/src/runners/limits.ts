import type { TaskLimits } from '@river/protocol';
import type { ResolvedLimits } from './task-runner.js';

/**
 * A limit a runner enforces and reports by its own reason. `file-limit`
 * (too many files) is reported to the scheduler as `disk-limit`, with its
 * own message: see {@link limitOutcome}.
 */
export type LimitReason =
  | 'memory-limit'
  | 'process-limit'
  | 'disk-limit'
  | 'file-limit';

/** The outcome reason a task stopped at a limit is reported with. */
export function limitOutcome(
  reason: LimitReason,
): 'memory-limit' | 'process-limit' | 'disk-limit' {
  return reason === 'file-limit' ? 'disk-limit' : reason;
}

/** The sandbox's ceilings on every task, from its settings. */
export type SandboxLimits = Required<ResolvedLimits>;

/** Each limit's field, setting and wording in messages. */
const LIMITS = {
  memoryMb: {
    variable: 'RIVER_TASK_MEMORY_MB',
    reason: 'memory-limit',
    text: (value: number) =>
      `used more than its memory limit of ${value} MB for all its ` +
      'processes together',
  },
  processes: {
    variable: 'RIVER_TASK_PROCESSES',
    reason: 'process-limit',
    text: (value: number) =>
      `tried to run more than its limit of ${value} processes and ` +
      'threads at once',
  },
  openFiles: {
    variable: 'RIVER_TASK_OPEN_FILES',
    reason: undefined,
    text: (value: number) => `opened more than ${value} files at once`,
  },
  diskMb: {
    variable: 'RIVER_TASK_DISK_MB',
    reason: 'disk-limit',
    text: (value: number) =>
      `wrote more than its disk limit of ${value} MB into its workspace ` +
      'and /tmp',
  },
  files: {
    variable: 'RIVER_TASK_FILES',
    reason: 'file-limit',
    text: (value: number) =>
      `created more than its limit of ${value} files and directories in ` +
      'its workspace and /tmp',
  },
} as const;

type LimitField = keyof typeof LIMITS;

/**
 * A task's limits, each capped by the sandbox's: a limit the task leaves
 * out is the sandbox's, and one it sets higher is lowered to it.
 */
export function resolveLimits(
  task: TaskLimits | undefined,
  sandbox: SandboxLimits,
): ResolvedLimits {
  const resolved: ResolvedLimits = {};
  for (const field of Object.keys(LIMITS) as LimitField[]) {
    const asked = askedFor(task, field);
    resolved[field] =
      asked === undefined ? sandbox[field] : Math.min(asked, sandbox[field]);
  }
  return resolved;
}

/**
 * One sentence saying which limit a task went over, its value and where
 * the value came from: the task's `limits`, or the sandbox's setting.
 */
export function limitMessage(
  reason: LimitReason,
  task: TaskLimits | undefined,
  sandbox: SandboxLimits,
): string {
  const field = fieldOf(reason);
  const { variable, text } = LIMITS[field];
  const asked = askedFor(task, field);
  const value = resolveLimits(task, sandbox)[field] ?? sandbox[field];
  let source: string;
  if (asked === undefined) {
    source = `the sandbox setting ${variable}`;
  } else if (asked > sandbox[field]) {
    source =
      `the task asked for ${asked} in limits.${field}, capped by the ` +
      `sandbox setting ${variable}`;
  } else {
    source = `limits.${field} of the task`;
  }
  return `The task ${text(value)} (${source}), so it was stopped.`;
}

/** A task's own limit; the file count is a sandbox setting only. */
function askedFor(
  task: TaskLimits | undefined,
  field: LimitField,
): number | undefined {
  return field === 'files' ? undefined : task?.[field];
}

function fieldOf(reason: LimitReason): LimitField {
  for (const field of Object.keys(LIMITS) as LimitField[]) {
    if (LIMITS[field].reason === reason) {
      return field;
    }
  }
  throw new Error(`No limit is reported as ${reason}.`);
}
