import {
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { delay, FOLLOW_OPTIONS } from './consume.js';
import { NatsAccessError } from './nats-access.js';
import { isClosedConnection } from './nats-errors.js';

/** The header JetStream deduplicates publishes by. */
const MSG_ID_HEADER = 'Nats-Msg-Id';
/** Missed idle heartbeats after which a consumer is given up and remade. */
const MISSED_HEARTBEATS_LIMIT = 2;
/** Pause before a consumer is made again after a failure. */
const RECREATE_DELAY_MS = 500;
/**
 * How long the follower may wait for a message before it asks the server
 * whether one is waiting that its consumer failed to deliver.
 */
const STALL_CHECK_MS = 5_000;

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
 *
 * `from` starts it later: after a stream sequence (to resume where an
 * earlier follower stopped), or at a time when no sequence is given.
 *
 * @throws NatsAccessError when the NATS user may not read the stream.
 */
export async function* followSubject(
  js: JetStreamClient,
  stream: string,
  subject: string,
  signal?: AbortSignal,
  from: FollowStart = {},
): AsyncGenerator<FollowedMessage> {
  let lastSeq = from.afterSeq ?? 0;
  let firstConsumer = true;
  let consumer: Consumer | undefined;
  let messages: ConsumerMessages | undefined;
  let stall: StallWatch | undefined;
  const stop = () => messages?.stop();
  // A function, as the signal changes behind the compiler's back.
  const aborted = () => signal?.aborted === true;
  signal?.addEventListener('abort', stop);
  try {
    while (!aborted()) {
      try {
        consumer = await js.consumers.get(stream, {
          filter_subjects: subject,
          ...(lastSeq === 0
            ? startPolicy(from, firstConsumer)
            : {
                deliver_policy: DeliverPolicy.StartSequence,
                opt_start_seq: lastSeq + 1,
              }),
        });
        if (firstConsumer) {
          firstConsumer = false;
          from.onFollowing?.();
        }
        messages = await consumer.consume(FOLLOW_OPTIONS);
        // An abort that came while the consumer was being made found
        // nothing to stop, and would leave the loop below waiting.
        if (aborted()) {
          messages.stop();
        }
        watchForSilence(messages);
        stall = watchForStall(consumer, messages);
        for await (const msg of messages) {
          // Until the caller asks for the next one, its pace is no stall.
          stall.delivered();
          if (msg.seq <= lastSeq) {
            stall.waiting();
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
          stall.waiting();
        }
      } catch (error) {
        // A refusal of the user's rights stays one: retrying would hide it.
        // A connection that gave up on its server never comes back.
        if (error instanceof NatsAccessError || isClosedConnection(error)) {
          throw error;
        }
        // Made again below, unless the caller is done.
      } finally {
        stall?.stop();
        await messages?.close().catch(() => undefined);
        messages = undefined;
        deleteConsumer(consumer);
        consumer = undefined;
      }
      if (!aborted()) {
        await delay(RECREATE_DELAY_MS);
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * Asks the server to delete a consumer that is done with, without waiting
 * for the answer (a server that is gone would keep the caller waiting).
 * Left alone, the consumer would stay until its inactivity threshold,
 * five minutes, and the server would match every message stored
 * meanwhile against it.
 */
export function deleteConsumer(consumer: Consumer | undefined): void {
  void consumer?.delete().catch(() => undefined);
}

/** Where {@link followSubject} starts, when not at the first message. */
export interface FollowStart {
  /** Start after this stream sequence. */
  afterSeq?: number;
  /** Start at the first message stored at or after this time. */
  startTime?: Date;
  /**
   * Start with the messages stored from now on, for a subject known to
   * hold none yet; wait for `onFollowing` before publishing the first.
   * On nats-server 2.9 a consumer filtered by a wildcard costs the server
   * a scan of the stream's whole history, except one made to start here.
   */
  newOnly?: boolean;
  /** Called once the first consumer exists on the server. */
  onFollowing?: () => void;
}

/**
 * The start of a consumer made before any message was seen: the first
 * message, one at a time, or what comes next (the first consumer only;
 * a later one reads from the first message, so that none is missed).
 */
function startPolicy(from: FollowStart, first: boolean) {
  if (from.newOnly === true && first) {
    return { deliver_policy: DeliverPolicy.New };
  }
  return from.startTime === undefined
    ? { deliver_policy: DeliverPolicy.All }
    : {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: from.startTime.toISOString(),
      };
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

/** What the follower tells the stall check. */
interface StallWatch {
  /** A message arrived. */
  delivered(): void;
  /** The follower waits for the next message. */
  waiting(): void;
  stop(): void;
}

/**
 * Stops the consumer when it has kept the follower waiting for a while
 * although the server holds messages for it, or when the server no longer
 * knows it. The client library's own recovery stops watching heartbeats
 * while it reconnects, and a recovery that fails midway (seen when a
 * cluster node is lost) would otherwise leave the follower waiting
 * forever; this check needs nothing of that machinery.
 */
function watchForStall(
  consumer: Consumer,
  messages: ConsumerMessages,
): StallWatch {
  let waitingSince: number | undefined = Date.now();
  let suspect = false;
  const timer = setInterval(() => {
    if (
      waitingSince === undefined ||
      Date.now() - waitingSince < STALL_CHECK_MS
    ) {
      suspect = false;
      return;
    }
    consumer.info().then(
      (info) => {
        // Once may be a message on its way; twice in a row is a stall.
        if (info.num_pending > 0 && suspect) {
          messages.stop();
        }
        suspect = info.num_pending > 0;
      },
      () => messages.stop(),
    );
  }, STALL_CHECK_MS);
  timer.unref();
  return {
    delivered: () => {
      waitingSince = undefined;
    },
    waiting: () => {
      waitingSince = Date.now();
    },
    stop: () => clearInterval(timer),
  };
}
