import type { JetStreamClient } from '@nats-io/jetstream';
import { SCHEMA_VERSION } from '../schemas/common.js';
import type { RunEvent, RunEventType } from '../schemas/event.js';
import { Subjects } from '../subjects.js';
import { encodeFitted } from './fit-message.js';
import { publishWithRetry } from './publish.js';

type Fields<K extends RunEventType> = Omit<
  Extract<RunEvent, { type: K }>,
  'schema' | 'type' | 'runId' | 'at'
>;

/**
 * Publishes one event of a run's history. `msgId` makes a repeated publish
 * a no-op inside JetStream's duplicate window, so pass an id derived from
 * what the event is about (for example `${runId}.${taskId}.finished`).
 * `at` is the event's time, now unless the caller needs to know it. A
 * server that does not answer is asked again for up to a minute. Long
 * texts are cut to fit (see {@link encodeFitted}).
 */
export async function publishEvent<K extends RunEventType>(
  js: JetStreamClient,
  runId: string,
  type: K,
  fields: Fields<K>,
  msgId: string,
  at: number = Date.now(),
): Promise<void> {
  const event = {
    schema: SCHEMA_VERSION,
    type,
    runId,
    at,
    ...fields,
  } as unknown as RunEvent;
  await publishWithRetry(
    js,
    Subjects.event(runId, type),
    // An error or output tail may be cut, never the event dropped.
    encodeFitted('event', event).bytes,
    msgId,
  );
}
