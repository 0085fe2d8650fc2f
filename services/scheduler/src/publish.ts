import type { JetStreamClient } from '@nats-io/jetstream';
import {
  encode,
  SCHEMA_VERSION,
  Subjects,
  type TaskDispatch,
} from '@river/protocol';
import { traceHeaders } from '@river/protocol/internal';

/**
 * Publishes one attempt of a task to the dispatch queue of its pool's
 * sandboxes that offer `labels` and returns the subject, with
 * `traceparent` (the job's trace context) in its headers.
 * The message id names the attempt, so a scheduler that
 * repeats itself after a crash does not queue the attempt twice.
 */
export async function publishDispatch(
  js: JetStreamClient,
  dispatch: Omit<TaskDispatch, 'schema'>,
  labels: readonly string[],
  traceparent?: string,
): Promise<string> {
  const subject = Subjects.dispatch(dispatch.spec.pool, labels);
  const message: TaskDispatch = { schema: SCHEMA_VERSION, ...dispatch };
  const msgID = `${dispatch.runId}.${dispatch.taskId}.${dispatch.attempt}.dispatch`;
  // The job's trace context, so the sandbox's attempt span joins its trace.
  const headers = traceHeaders(traceparent);
  await js.publish(
    subject,
    encode('taskDispatch', message),
    headers === undefined ? { msgID } : { msgID, headers },
  );
  return subject;
}
