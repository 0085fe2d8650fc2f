import { delay } from '@river/protocol/internal';
import type { JetStream } from './nats-types.js';

/** Pause between publish attempts. */
const PUBLISH_RETRY_DELAY_MS = 500;

/**
 * Publishes to a stream and waits for its ack, trying again on failure.
 * Every try carries the same message id, so JetStream stores the message
 * once however many tries reach it.
 *
 * @throws the last error when every try failed.
 */
export async function publishWithRetry(
  js: JetStream,
  subject: string,
  data: Uint8Array,
  msgID: string,
  tries = 3,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await js.publish(subject, data, { msgID });
      return;
    } catch (error) {
      if (attempt >= tries) {
        throw error;
      }
      await delay(PUBLISH_RETRY_DELAY_MS * attempt);
    }
  }
}
