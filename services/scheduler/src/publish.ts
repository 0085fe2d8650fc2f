import type { JetStreamClient } from '@nats-io/jetstream';
import {
  encode,
  SCHEMA_VERSION,
  Subjects,
  type TaskDispatch,
} from '@river/protocol';

/**
 * Publishes one attempt of a task to its pool's dispatch queue and returns
 * the subject. The message id names the attempt, so a scheduler that
 * repeats itself after a crash does not queue the attempt twice.
 */
export async function publishDispatch(
  js: JetStreamClient,
  dispatch: Omit<TaskDispatch, 'schema'>,
): Promise<string> {
  const subject = Subjects.dispatch(dispatch.spec.pool);
  const message: TaskDispatch = { schema: SCHEMA_VERSION, ...dispatch };
  await js.publish(subject, encode('taskDispatch', message), {
    msgID: `${dispatch.runId}.${dispatch.taskId}.${dispatch.attempt}.dispatch`,
  });
  return subject;
}
