import { AttemptReason, TaskCache, TaskRequest } from '@river/protocol';
import { Compile, Type } from '@river/protocol/typebox';
import { SchedulerErrorCode, TaskEntryError } from './errors.js';

/** Attempt endings kept in an entry, to tell repeats from late results. */
export const MAX_RECORDED_ENDINGS = 10;

/**
 * Which result ended an attempt. A result that matches one is a repeat of
 * a message already handled; another result for an ended attempt is late.
 */
export const AttemptEnding = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  sandboxId: Type.String(),
  reason: AttemptReason,
});

/** Which result ended an attempt. */
export type AttemptEnding = Type.Static<typeof AttemptEnding>;

/**
 * What the scheduler keeps of a task in flight, in the tasks bucket. Results
 * don't carry the spec, so a retry after a restart needs the request.
 */
export const ActiveTaskEntry = Type.Object({
  request: TaskRequest,
  /** The attempt now running or about to be dispatched. */
  attempt: Type.Integer({ minimum: 1 }),
  /** Whether that attempt's dispatch has been published. */
  dispatched: Type.Boolean(),
  /**
   * The label set of the queue the attempt was dispatched to, sorted;
   * absent for the pool's queue without labels (and in entries of older
   * schedulers).
   */
  queueLabels: Type.Optional(Type.Array(Type.String())),
  /** Why the previous attempt ended, for the `task.retrying` event. */
  retryReason: Type.Optional(Type.String()),
  /**
   * Attempts handed back by stopping sandboxes: they do not count
   * against `maxAttempts`. Absent in entries of older schedulers.
   */
  handBacks: Type.Optional(Type.Integer({ minimum: 0 })),
  /** How the latest earlier attempts ended, oldest first. */
  endings: Type.Optional(Type.Array(AttemptEnding)),
  /**
   * The W3C trace context of the task's job, from the request's headers,
   * handed on with every dispatch of the task. Absent without tracing.
   */
  traceparent: Type.Optional(Type.String()),
});

/** What the scheduler keeps of a task in flight. */
export type ActiveTaskEntry = Type.Static<typeof ActiveTaskEntry>;

/**
 * What is left of a finished task: enough to ignore a repeated request or
 * result, and to publish its `task.finished` event again with the same
 * message id when the result that finished it comes back.
 */
export const FinishedTaskEntry = Type.Object({
  finished: Type.Literal(true),
  runId: Type.String(),
  taskId: Type.String(),
  job: Type.String(),
  name: Type.String(),
  /** The attempt whose result finished the task. */
  attempt: Type.Integer({ minimum: 1 }),
  ok: Type.Boolean(),
  handBacks: Type.Integer({ minimum: 0 }),
  /** How the latest attempts ended, the final one last. */
  endings: Type.Array(AttemptEnding),
  /**
   * Set once the task's `task.finished` event is published, so that its
   * result coming back later, even past the duplicate window, announces
   * nothing again.
   */
  announced: Type.Optional(Type.Literal(true)),
  /**
   * The request's cache field (without a retried run's outcome): a
   * success is recorded under its key, and its flight let go, before
   * the task's end is announced.
   */
  cache: Type.Optional(TaskCache),
});

/** What is left of a finished task. */
export type FinishedTaskEntry = Type.Static<typeof FinishedTaskEntry>;

/** An entry of the tasks bucket: a task in flight, or a finished one. */
export const TaskEntry = Type.Union([ActiveTaskEntry, FinishedTaskEntry]);

/** An entry of the tasks bucket: a task in flight, or a finished one. */
export type TaskEntry = Type.Static<typeof TaskEntry>;

/** Whether the entry is a finished task's. */
export function isFinished(entry: TaskEntry): entry is FinishedTaskEntry {
  return 'finished' in entry;
}

/** `endings` with one more, keeping the latest {@link MAX_RECORDED_ENDINGS}. */
export function withEnding(
  endings: readonly AttemptEnding[] | undefined,
  ending: AttemptEnding,
): AttemptEnding[] {
  return [...(endings ?? []), ending].slice(-MAX_RECORDED_ENDINGS);
}

/** Whether `ending` is among `endings`: the same result seen before. */
export function hasEnding(
  endings: readonly AttemptEnding[] | undefined,
  ending: AttemptEnding,
): boolean {
  return (endings ?? []).some(
    (seen) =>
      seen.attempt === ending.attempt &&
      seen.sandboxId === ending.sandboxId &&
      seen.reason === ending.reason,
  );
}

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
