import type { JetStreamManager } from '@nats-io/jetstream';
import { decode, type RunEventOf, Streams, Subjects } from '@river/protocol';

/** A run's `run.submitted` event. */
export type SubmittedEvent = RunEventOf<'run.submitted'>;

/** The run's `run.submitted` event, when its history has one. */
export async function submittedEvent(
  jsm: JetStreamManager,
  runId: string,
): Promise<SubmittedEvent | undefined> {
  const subject = Subjects.event(runId, 'run.submitted');
  const found = await jsm.streams.getMessage(Streams.events, {
    last_by_subj: subject,
  });
  if (found === null) {
    return undefined;
  }
  return decode('event', subject, found.data) as SubmittedEvent;
}
