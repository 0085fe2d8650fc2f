import {
  type Consumer,
  type JetStreamClient,
  jetstream,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** Tries at creating a reader before the caller sees the error. */
const OPEN_ATTEMPTS = 5;
/**
 * How long one try waits. Five tries stay below the ten seconds that
 * clients wait for a log query's reply.
 */
const OPEN_TIMEOUT_MS = 1_500;

/**
 * Opens short-lived ordered consumers to read a stream from a point on.
 *
 * An ordered consumer has a single replica, and on a cluster with a
 * server down nats-server 2.9 still places about a third of new ones on
 * that server, where their creation times out. Each try is placed anew,
 * so a few quick tries get a reader whatever server is down.
 */
export class StreamReader {
  readonly #js: JetStreamClient;

  constructor(nc: NatsConnection) {
    this.#js = jetstream(nc, { timeout: OPEN_TIMEOUT_MS });
  }

  /**
   * An ordered consumer of `stream` with `options`; delete it when done
   * (its inactivity threshold removes it otherwise).
   *
   * @throws the last try's error when every try failed.
   */
  async open(
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
}
