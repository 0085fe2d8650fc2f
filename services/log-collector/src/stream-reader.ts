import {
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  type MsgRequest,
  type NextMsgRequest,
  type OrderedConsumerOptions,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { deleteConsumer } from '@river/protocol/internal';

/** A message read back from a stream, wherever it was read from. */
export interface ScannedMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** When the stream stored it, in milliseconds. */
  at: number;
}

/** Messages asked of a scanning consumer at once. */
const SCAN_BATCH = 256;
/** How long one scanning fetch waits for messages said to be there. */
const SCAN_FETCH_EXPIRES_MS = 2_000;

/** Tries at creating an ordered consumer before giving up on it. */
const OPEN_ATTEMPTS = 2;
/** How long one try, or one message read, waits for the server. */
const REQUEST_TIMEOUT_MS = 1_500;

/**
 * Reads River's streams two ways: with short-lived ordered consumers,
 * which fetch many messages per request, and one message at a time from
 * the stream's leader.
 *
 * An ordered consumer has a single replica, and on a cluster with a
 * server down nats-server 2.9 still places about a third of new ones on
 * that server, where their creation times out. Reading message by message
 * needs no consumer, so it works whenever the stream has a leader; it is
 * the way out when no consumer can be had.
 */
export class StreamReader {
  readonly #js: JetStreamClient;
  #jsm: Promise<JetStreamManager> | undefined;

  constructor(nc: NatsConnection) {
    this.#js = jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
  }

  /**
   * An ordered consumer of `stream` with `options`; delete it when done
   * (its inactivity threshold removes it otherwise).
   *
   * @throws the last try's error when no try got a consumer.
   */
  async openConsumer(
    stream: string,
    options: Partial<OrderedConsumerOptions>,
  ): Promise<Consumer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#js.consumers.get(stream, options);
      } catch (error) {
        if (attempt >= OPEN_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** The JetStream manager of this reader's connection. */
  manager(): Promise<JetStreamManager> {
    // No API check: the service made sure of JetStream at start-up.
    this.#jsm ??= this.#js.jetstreamManager(false);
    return this.#jsm;
  }

  /**
   * The messages of `stream` from sequence `fromSeq` on whose subject
   * matches `filter`, in order, as many as the caller takes: through an
   * ordered consumer, or one by one from the leader when none can be had
   * or it stops delivering. Ends with the last message stored now.
   *
   * The first fetch asks for `firstBatch` messages, each next one for
   * twice as many up to 256: a caller that takes a few messages of large
   * chunks does not pull megabytes it leaves unread.
   */
  async *scan(
    stream: string,
    filter: string,
    fromSeq: number,
    firstBatch = SCAN_BATCH,
  ): AsyncGenerator<ScannedMessage> {
    let batchSize = Math.max(1, Math.min(firstBatch, SCAN_BATCH));
    let next = fromSeq;
    let consumer: Consumer | undefined;
    try {
      consumer = await this.openConsumer(stream, {
        filter_subjects: filter,
        opt_start_seq: fromSeq,
      });
    } catch {
      consumer = undefined;
    }
    if (consumer !== undefined) {
      try {
        let pending = (await consumer.info(true)).num_pending;
        while (pending > 0) {
          const batch = await consumer.fetch({
            max_messages: Math.min(pending, batchSize),
            expires: SCAN_FETCH_EXPIRES_MS,
          });
          batchSize = Math.min(batchSize * 2, SCAN_BATCH);
          let received = 0;
          for await (const msg of batch) {
            received++;
            next = msg.seq + 1;
            pending = msg.info.pending;
            yield {
              seq: msg.seq,
              subject: msg.subject,
              data: msg.data,
              at: Math.floor(msg.info.timestampNanos / 1_000_000),
            };
          }
          if (received === 0) {
            break;
          }
        }
        if (pending === 0) {
          return;
        }
      } finally {
        deleteConsumer(consumer);
      }
    }
    for (;;) {
      const msg = await this.nextMessage(stream, filter, next);
      if (msg === null) {
        return;
      }
      next = msg.seq + 1;
      yield {
        seq: msg.seq,
        subject: msg.subject,
        data: msg.data,
        at: msg.time.getTime(),
      };
    }
  }

  /**
   * The first message of `stream` at or after sequence `fromSeq` whose
   * subject matches `filter` (wildcards allowed), or `null` when none is.
   *
   * @throws when the stream's leader does not answer in time.
   */
  async nextMessage(
    stream: string,
    filter: string,
    fromSeq: number,
  ): Promise<StoredMsg | null> {
    const jsm = await this.manager();
    // The client passes the request on as it is, and servers since 2.9
    // answer `next_by_subj`; only the client's type leaves it out.
    const request: NextMsgRequest = { seq: fromSeq, next_by_subj: filter };
    return jsm.streams.getMessage(stream, request as unknown as MsgRequest);
  }
}
