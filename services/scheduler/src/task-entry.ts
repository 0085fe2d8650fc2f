import { TaskRequest } from '@river/protocol';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { SchedulerErrorCode, TaskEntryError } from './errors.js';

/**
 * What the scheduler keeps of a task in flight, in the tasks bucket. Results
 * don't carry the spec, so a retry after a restart needs the request.
 */
export const TaskEntry = Type.Object({
  request: TaskRequest,
  /** The attempt now running or about to be dispatched. */
  attempt: Type.Integer({ minimum: 1 }),
  /** Whether that attempt's dispatch has been published. */
  dispatched: Type.Boolean(),
  /** Why the previous attempt failed, for the `task.retrying` event. */
  retryReason: Type.Optional(Type.String()),
});

/** What the scheduler keeps of a task in flight. */
export type TaskEntry = Type.Static<typeof TaskEntry>;

const validator = Compile(TaskEntry);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key of a task in the tasks bucket. */
export function taskKey(task: { runId: string; taskId: string }): string {
  return `${task.runId}.${task.taskId}`;
}

/** Encodes an entry as JSON, readable with `nats kv get`. */
export function encodeTaskEntry(entry: TaskEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry));
}

/**
 * Decodes and validates a stored entry.
 *
 * @throws TaskEntryError when the value is not a valid entry.
 */
export function decodeTaskEntry(key: string, bytes: Uint8Array): TaskEntry {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw corrupt(key, 'is not JSON', cause);
  }
  if (validator.Check(value)) {
    return value;
  }
  const [first] = validator.Errors(value);
  throw corrupt(
    key,
    `has ${first?.instancePath || 'a value'} that ${first?.message}`,
  );
}

function corrupt(key: string, reason: string, cause?: unknown) {
  return new TaskEntryError(
    SchedulerErrorCode.corruptTaskEntry,
    key,
    `The stored entry of task ${key} ${reason}; delete it from the ` +
      'tasks bucket and request the task again.',
    cause,
  );
}
