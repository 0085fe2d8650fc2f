import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { decode, MessageDecodeError, Streams, Subjects } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import type { TaskOutcomes } from './task-outcomes.js';

/** A running feed of finished-task events. */
export interface OutcomeFeed {
  stop(): Promise<void>;
}

/**
 * Hands every finished-task event published from now on to the runs of
 * this controller that wait for it. Each controller reads all of them with
 * its own ordered consumer, so with several controllers every outcome
 * reaches the one that drives its run.
 */
export async function followOutcomes(
  js: JetStreamClient,
  outcomes: TaskOutcomes,
  log: Logger,
): Promise<OutcomeFeed> {
  const consumer = await js.consumers.get(Streams.events, {
    filter_subjects: Subjects.taskFinishedEvents,
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume();
  const done = (async () => {
    for await (const msg of messages) {
      try {
        const event = decode('event', msg.subject, msg.data);
        if (event.type === 'task.finished' && !outcomes.deliver(event)) {
          log.debug(
            { runId: event.runId, taskId: event.taskId, subject: msg.subject },
            'Ignored outcome of a task no run here waits for',
          );
        }
      } catch (error) {
        if (!(error instanceof MessageDecodeError)) {
          throw error;
        }
        log.warn(
          { subject: msg.subject, field: error.field, err: error },
          'Rejected malformed message',
        );
      }
    }
  })();
  return {
    async stop() {
      await messages.close();
      await done.catch(() => undefined);
    },
  };
}
