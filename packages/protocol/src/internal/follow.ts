import {
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { delay, FOLLOW_OPTIONS } from './consume.js';

/** The header JetStream deduplicates publishes by. */
const MSG_ID_HEADER = 'Nats-Msg-Id';
/** Missed idle heartbeats after which a consumer is given up and remade. */
const MISSED_HEARTBEATS_LIMIT = 2;
/** Pause before a consumer is made again after a failure. */
const RECREATE_DELAY_MS = 500;

/** One stored message of a followed subject. */
export interface FollowedMessage {
  subject: string;
  data: Uint8Array;
  /** Its stream sequence. */
  seq: number;
  /** Messages of the subject stored after it when it was delivered. */
  pending: number;
  /** The `Nats-Msg-Id` it was published with, if any. */
  msgId: string | undefined;
}

/**
 * Yields every message of `subject` in `stream` from the first, in stream
 * order, then each new one as it is stored, until `signal` aborts or the
 * caller stops iterating.
 *
 * It reads through an ordered consumer, and makes a new one, starting after
 * the last message seen, whenever the old one fails or falls silent: a
 * server restart or the loss of the cluster node that held the consumer
 * would otherwise leave the follower waiting forever. No message is
 * yielded twice or skipped.
 */
export async function* followSubject(
  js: JetStreamClient,
  stream: string,
  subject: string,
  signal?: AbortSignal,
): AsyncGenerator<FollowedMessage> {
  let lastSeq = 0;
  let messages: ConsumerMessages | undefined;
  const stop = () => messages?.stop();
  // A function, as the signal changes behind the compiler's back.
  const aborted = () => signal?.aborted === true;
  signal?.addEventListener('abort', stop);
  try {
    while (!aborted()) {
      try {
        const consumer = await js.consumers.get(stream, {
          filter_subjects: subject,
          ...(lastSeq === 0
            ? { deliver_policy: DeliverPolicy.All }
            : {
                deliver_policy: DeliverPolicy.StartSequence,
                opt_start_seq: lastSeq + 1,
              }),
        });
        messages = await consumer.consume(FOLLOW_OPTIONS);
        watchForSilence(messages);
        for await (const msg of messages) {
          if (msg.seq <= lastSeq) {
            continue;
          }
          lastSeq = msg.seq;
          yield {
            subject: msg.subject,
            data: msg.data,
            seq: msg.seq,
            pending: msg.info.pending,
            msgId: msg.headers?.get(MSG_ID_HEADER) || undefined,
          };
        }
      } catch {
        // Made again below, unless the caller is done.
      } finally {
        await messages?.close().catch(() => undefined);
        messages = undefined;
      }
      if (!aborted()) {
        await delay(RECREATE_DELAY_MS);
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** Stops the consumer once it has missed its heartbeats. */
function watchForSilence(messages: ConsumerMessages): void {
  void (async () => {
    for await (const status of messages.status()) {
      if (
        status.type === 'heartbeats_missed' &&
        status.count >= MISSED_HEARTBEATS_LIMIT
      ) {
        messages.stop();
        return;
      }
    }
  })().catch(() => undefined);
}
