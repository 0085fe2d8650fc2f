import type { JetStreamClient } from '@nats-io/jetstream';
import { decode, MessageDecodeError, Streams, Subjects } from '@river/protocol';
import { publishEvent } from '@river/protocol/internal';
import type { SequenceGap } from './log-index.js';
import type { StreamReader } from './stream-reader.js';

/** Events asked of the stream at once while looking for a gap event. */
const FETCH_BATCH = 256;
/** How long one fetch waits for events the stream said it holds. */
const FETCH_EXPIRES_MS = 2_000;

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
 * that (when no collector ran for a while), so the history is asked.
 *
 * @throws when the events stream cannot be read; the caller retries.
 */
export async function gapReported(
  reader: StreamReader,
  attempt: { runId: string; taskId: string; attempt: number },
  seq: number,
): Promise<boolean> {
  const subject = Subjects.event(attempt.runId, 'task.log-gap');
  // Ordered consumers are ephemeral and single-filtered, as 2.9 allows.
  const consumer = await reader.open(Streams.events, {
    filter_subjects: subject,
  });
  try {
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(pending, FETCH_BATCH),
        expires: FETCH_EXPIRES_MS,
      });
      let received = 0;
      for await (const msg of batch) {
        received++;
        pending = msg.info.pending;
        if (namesMissing(msg.subject, msg.data, attempt, seq)) {
          return true;
        }
      }
      if (received === 0) {
        throw new Error(
          `${pending} gap events of run ${attempt.runId} could not be read`,
        );
      }
    }
    return false;
  } finally {
    consumer.delete().catch(() => {
      // Its inactivity threshold removes it anyway.
    });
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
