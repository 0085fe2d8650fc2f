import { SchedulerErrorCode, TaskEntryError } from './errors.js';

/** Compare-and-set rounds on one task entry before a message is naked. */
export const MAX_CONFLICT_RETRIES = 5;

/** The error for a task entry that kept changing under the handler. */
export function contended(key: string): TaskEntryError {
  return new TaskEntryError(
    SchedulerErrorCode.taskEntryContended,
    key,
    `The entry of task ${key} changed ${MAX_CONFLICT_RETRIES} times while ` +
      'it was being updated; the message will be redelivered.',
  );
}
