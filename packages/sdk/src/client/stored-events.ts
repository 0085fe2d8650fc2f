import { type RunEventType, Streams, Subjects } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { decodeSequenced, type SequencedEvent } from './sequenced-event.js';

/** Messages a read of stored events asks the server for at once. */
const READ_BATCH = 256;

/** A stored event of one type, with its sequence. */
export type SequencedEventOf<T extends RunEventType> = Extract<
  SequencedEvent,
  { type: T }
>;

/**
 * Reads the events stored under `filter` (a subject of the events stream,
 * wildcards allowed) in stream order, and ends once caught up: no wait
 * for new ones. With `lastPerSubject`, only the newest of each subject.
 * Events this client cannot read are left out.
 */
export async function* readStoredEvents(
  connection: RiverConnection,
  filter: string,
  lastPerSubject = false,
): AsyncGenerator<SequencedEvent> {
  // A consumer over no message would wait for one: count them first.
  const info = await connection.jsm.streams.info(Streams.events, {
    subjects_filter: filter,
  });
  if (Object.keys(info.state.subjects ?? {}).length === 0) {
    return;
  }
  const consumer = await connection.js.consumers.get(Streams.events, {
    filter_subjects: filter,
    // DeliverPolicy.LastPerSubject of @nats-io/jetstream.
    ...(lastPerSubject ? { deliver_policy: 'last_per_subject' as const } : {}),
  });
  const messages = await consumer.consume({ max_messages: READ_BATCH });
  try {
    for await (const msg of messages) {
      const event = decodeSequenced(msg.subject, msg.data, msg.seq);
      if (event !== undefined) {
        yield event;
      }
      if (msg.info.pending === 0) {
        return;
      }
    }
  } finally {
    await messages.close().catch(() => undefined);
  }
}

/** A run's stored events of type `type`, in order; none when it has none. */
export async function runEventsOfType<T extends RunEventType>(
  connection: RiverConnection,
  runId: string,
  type: T,
): Promise<SequencedEventOf<T>[]> {
  const found: SequencedEventOf<T>[] = [];
  for await (const event of readStoredEvents(
    connection,
    Subjects.event(runId, type),
  )) {
    if (event.type === type) {
      found.push(event as SequencedEventOf<T>);
    }
  }
  return found;
}
