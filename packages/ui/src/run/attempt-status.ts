/** What an attempt's state amounts to, as a status word. */
import type { AttemptState, TaskState } from '@river/run-view';

/**
 * `succeeded`, `failed`, `cancelled`, `lost`, `running`, `dispatched` or
 * `queued`, from the attempt's recorded moments and result.
 */
export function attemptStatus(task: TaskState, attempt: AttemptState): string {
  if (attempt.finishedAt !== undefined) {
    if (attempt.result === 'ok') return 'succeeded';
    if (attempt.result === 'cancelled' || attempt.result === 'lost') {
      return attempt.result;
    }
    return 'failed';
  }
  if (attempt.startedAt !== undefined) return 'running';
  if (attempt.dispatchedAt !== undefined) return 'dispatched';
  const last = task.attempts.at(-1);
  if (last === attempt && task.status === 'retrying') return 'retrying';
  return 'queued';
}
