import {
  decode,
  MessageDecodeError,
  type RunEvent,
  type RunEventType,
} from '@river/protocol';

/**
 * A run's event with the stream sequence it was stored under, as
 * {@link RiverClient.watch} and {@link RiverClient.events} yield it. The
 * event's own fields are untouched and `type` still tells them apart, so
 * `if (event.type === 'task.finished')` narrows as on a {@link RunEvent}.
 *
 * Give the last `seq` seen as `afterSeq` to go on after a disconnect: the
 * events that follow come without a gap or a repeat.
 */
export type SequencedEvent = {
  [K in RunEventType]: Extract<RunEvent, { type: K }> & {
    /** Its sequence in the events stream: unique and increasing. */
    readonly seq: number;
  };
}[RunEventType];

/**
 * Decodes an event and tags it with its sequence, or returns undefined
 * for one this client cannot read (a malformed message, or a type from a
 * newer River): a run's history must stay readable around it.
 */
export function decodeSequenced(
  subject: string,
  data: Uint8Array,
  seq: number,
): SequencedEvent | undefined {
  try {
    const event = decode('event', subject, data);
    return { ...event, seq } as SequencedEvent;
  } catch (error) {
    if (error instanceof MessageDecodeError) {
      return undefined;
    }
    throw error;
  }
}
