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
    // No API check: the service made sure of JetStream at start-up.
    this.#jsm ??= this.#js.jetstreamManager(false);
    const jsm = await this.#jsm;
    // The client passes the request on as it is, and servers since 2.9
    // answer `next_by_subj`; only the client's type leaves it out.
    const request: NextMsgRequest = { seq: fromSeq, next_by_subj: filter };
    return jsm.streams.getMessage(stream, request as unknown as MsgRequest);
  }
}
