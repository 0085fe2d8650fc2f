import type { RunEventOf } from '@river/protocol';

type TaskFinished = RunEventOf<'task.finished'>;

/**
 * Matches finished-task events to the job logic waiting for them. A waiter
 * is registered before its request is published, so no outcome can arrive
 * unannounced.
 */
export class TaskOutcomes {
  readonly #waiting = new Map<string, (event: TaskFinished) => void>();

  /** Resolves when the task's finished event arrives. */
  expect(runId: string, taskId: string): Promise<TaskFinished> {
    return new Promise((resolve) => {
      this.#waiting.set(`${runId}/${taskId}`, resolve);
    });
  }

  /** Hands an event to its waiter; false when nobody waits for it. */
  deliver(event: TaskFinished): boolean {
    const key = `${event.runId}/${event.taskId}`;
    const resolve = this.#waiting.get(key);
    if (resolve === undefined) {
      return false;
    }
    this.#waiting.delete(key);
    resolve(event);
    return true;
  }

  /** Drops every waiter of a run that has ended. */
  forget(runId: string): void {
    for (const key of this.#waiting.keys()) {
      if (key.startsWith(`${runId}/`)) {
        this.#waiting.delete(key);
      }
    }
  }
}
