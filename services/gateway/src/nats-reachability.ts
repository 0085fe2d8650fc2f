import type { NatsConnection } from '@nats-io/transport-node';
import { followConnectionState, type Logger } from '@river/protocol/internal';

/** Called with whether the gateway reaches NATS, on each change. */
export type ReachabilityListener = (reachable: boolean) => void;

/**
 * Whether the gateway's connection reaches a NATS server now. Live
 * streams pass it on, so that a page says when its updates stop because
 * NATS is gone rather than claim to be live.
 */
export class NatsReachability {
  #reachable = true;
  readonly #listeners = new Set<ReachabilityListener>();

  /** Follows `nc` until it closes. */
  constructor(nc: NatsConnection, log: Logger) {
    followConnectionState(nc, (connected) => {
      if (connected === this.#reachable) {
        return;
      }
      this.#reachable = connected;
      if (connected) {
        log.info({ server: nc.getServer() }, 'NATS reachable again');
      } else {
        log.warn({ server: nc.getServer() }, 'NATS unreachable');
      }
      for (const listener of this.#listeners) {
        listener(connected);
      }
    });
  }

  /** Whether the connection has a server now. */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** Calls `listener` on each change; returns the unsubscribe. */
  onChange(listener: ReachabilityListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
