import type { JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { delay } from './consume.js';
import { NatsAccessError } from './nats-access.js';

/** First pause between publish attempts; it doubles up to a second. */
const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 1_000;
/**
 * How long a publish keeps trying by default: long enough to ride out a
 * nats-server restart, short enough to stay inside JetStream's two-minute
 * duplicate window, so that every try is the same message.
 */
export const PUBLISH_RETRY_LIMIT_MS = 60_000;

/**
 * Publishes to a stream and waits for its ack, trying again while the
 * server is unreachable or slow. Every try carries the same message id, so
 * JetStream stores the message once however many tries reach it.
 *
 * `headers` go with every try (a trace context, for example).
 *
 * @throws NatsAccessError at once when the user may not publish there;
 *   the last error once `giveUpAfterMs` has passed.
 */
export async function publishWithRetry(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  msgID: string,
  giveUpAfterMs = PUBLISH_RETRY_LIMIT_MS,
  headers?: MsgHdrs,
): Promise<void> {
  const deadline = Date.now() + giveUpAfterMs;
  for (let pause = FIRST_RETRY_DELAY_MS; ; ) {
    try {
      await js.publish(
        subject,
        data,
        headers === undefined ? { msgID } : { msgID, headers },
      );
      return;
    } catch (error) {
      // A refusal stays a refusal however often it is tried.
      if (error instanceof NatsAccessError || Date.now() + pause > deadline) {
        throw error;
      }
      await delay(pause);
      pause = Math.min(pause * 2, MAX_RETRY_DELAY_MS);
    }
  }
}
