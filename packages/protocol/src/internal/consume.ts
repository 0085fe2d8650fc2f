import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { decode, type MessageKind, type MessageTypes } from '../codec.js';
import { MessageDecodeError } from '../errors.js';

/** How long one pull waits for a message before it asks again. */
const PULL_EXPIRES_MS = 2_000;
/** Pause after a failed pull, so a missing server is not hammered. */
const PULL_RETRY_DELAY_MS = 500;
/** Redelivery delay for a message whose handler threw. */
const HANDLER_RETRY_DELAY_MS = 1_000;

/** What a handler tells the loop to do with its message. */
export type HandlerVerdict = 'ack' | 'handled';

/** Options of {@link consumeMessages}. */
export interface ConsumeOptions<K extends MessageKind> {
  js: JetStreamClient;
  stream: string;
  consumer: string;
  kind: K;
  /** Messages handled at once. */
  concurrency: number;
  log: Logger;
  /**
   * Handles one decoded message. Returning `'ack'` (or nothing) acks it;
   * `'handled'` means the handler acked or nacked it itself. A thrown error
   * naks it for redelivery after a delay.
   */
  handle: (
    message: MessageTypes[K],
    msg: JsMsg,
  ) => Promise<HandlerVerdict | undefined>;
}

/** A running consumer loop; `stop()` waits for messages in hand. */
export interface ConsumeLoop {
  stop(): Promise<void>;
}

/**
 * Pulls messages from a durable consumer with `concurrency` workers.
 * Malformed messages are logged and acknowledged, so a bad message is never
 * redelivered forever and never stops the loop.
 */
export function consumeMessages<K extends MessageKind>(
  options: ConsumeOptions<K>,
): ConsumeLoop {
  const { js, log } = options;
  let stopping = false;

  async function handleOne(msg: JsMsg): Promise<void> {
    let message: MessageTypes[K];
    try {
      message = decode(options.kind, msg.subject, msg.data);
    } catch (error) {
      if (!(error instanceof MessageDecodeError)) {
        throw error;
      }
      log.warn(
        { subject: msg.subject, field: error.field, err: error },
        'Rejected malformed message',
      );
      msg.ack();
      return;
    }

    try {
      const verdict = await options.handle(message, msg);
      if (verdict !== 'handled') {
        msg.ack();
      }
    } catch (error) {
      log.error(
        { subject: msg.subject, err: error },
        'Message handler failed; it will be redelivered',
      );
      msg.nak(HANDLER_RETRY_DELAY_MS);
    }
  }

  async function worker(): Promise<void> {
    while (!stopping) {
      let msg: JsMsg | null;
      try {
        const consumer = await js.consumers.get(
          options.stream,
          options.consumer,
        );
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (error) {
        if (!stopping) {
          log.debug(
            { stream: options.stream, err: error },
            'Pull failed; retrying',
          );
          await delay(PULL_RETRY_DELAY_MS);
        }
        continue;
      }
      if (msg !== null) {
        await handleOne(msg);
      }
    }
  }

  const workers = Array.from({ length: options.concurrency }, () => worker());
  return {
    async stop() {
      stopping = true;
      await Promise.allSettled(workers);
    },
  };
}

/**
 * Options for a long-lived ordered consumer. Its server-side consumer
 * vanishes when nats-server restarts, and the client notices only after two
 * missed idle heartbeats: 2 s heartbeats bring it back within seconds
 * instead of the default half a minute.
 */
export const FOLLOW_OPTIONS = { idle_heartbeat: 2_000 } as const;

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
