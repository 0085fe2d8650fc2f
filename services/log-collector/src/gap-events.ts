import type { JetStreamClient } from '@nats-io/jetstream';
import { decode, MessageDecodeError, Streams, Subjects } from '@river/protocol';
import { publishEvent } from '@river/protocol/internal';
import type { SequenceGap } from './log-index.js';
import type { StreamReader } from './stream-reader.js';

/** The task attempt a gap belongs to, and the chunk that found it. */
export interface GapFinder {
  runId: string;
  taskId: string;
  attempt: number;
  /** The chunk that arrived after the missing ones. */
  seq: number;
}

/**
 * The message id of the gap event that chunk `seq` found. It names the
 * chunk, not the gap, because the chunk is what a redelivery repeats.
 */
export function gapEventId(finder: GapFinder): string {
  const { runId, taskId, attempt, seq } = finder;
  return `${runId}.${taskId}.${attempt}.log-gap.${seq}`;
}

/** Publishes `task.log-gap` for a gap found by chunk `finder.seq`. */
export function publishGap(
  js: JetStreamClient,
  finder: GapFinder,
  gap: SequenceGap,
): Promise<void> {
  return publishEvent(
    js,
    finder.runId,
    'task.log-gap',
    {
      taskId: finder.taskId,
      attempt: finder.attempt,
      fromSeq: gap.fromSeq,
      toSeq: gap.toSeq,
    },
    gapEventId(finder),
  );
}

/**
 * Whether the run's history already holds a `task.log-gap` event of this
 * attempt that names `seq` as missing. The duplicate window forgets a
 * message id after two minutes, and a chunk can come back later than
 * that (when no collector ran for a while), so the history is asked. Gap
 * events are rare, so they are read one by one.
 *
 * @throws when the events stream cannot be read; the caller retries.
 */
export async function gapReported(
  reader: StreamReader,
  attempt: { runId: string; taskId: string; attempt: number },
  seq: number,
): Promise<boolean> {
  const subject = Subjects.event(attempt.runId, 'task.log-gap');
  let next = 1;
  for (;;) {
    const msg = await reader.nextMessage(Streams.events, subject, next);
    if (msg === null) {
      return false;
    }
    if (namesMissing(msg.subject, msg.data, attempt, seq)) {
      return true;
    }
    next = msg.seq + 1;
  }
}

function namesMissing(
  subject: string,
  data: Uint8Array,
  attempt: { taskId: string; attempt: number },
  seq: number,
): boolean {
  try {
    const event = decode('event', subject, data);
    return (
      event.type === 'task.log-gap' &&
      event.taskId === attempt.taskId &&
      event.attempt === attempt.attempt &&
      event.fromSeq <= seq &&
      seq <= event.toSeq
    );
  } catch (error) {
    if (error instanceof MessageDecodeError) {
      return false;
    }
    throw error;
  }
}
