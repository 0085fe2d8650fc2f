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
  /** How many times the connection has lost its server. */
  #losses = 0;
  readonly #listeners = new Set<ReachabilityListener>();

  /** Follows `nc` until it closes. */
  constructor(nc: NatsConnection, log: Logger) {
    followConnectionState(nc, (connected) => {
      if (connected === this.#reachable) {
        return;
      }
      this.#reachable = connected;
      if (!connected) {
        this.#losses += 1;
      }
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

  /** A mark to ask {@link NatsReachability.lostSince} about later. */
  mark(): number {
    return this.#reachable ? this.#losses : -1;
  }

  /**
   * Whether NATS is unreachable now or was at any moment since `mark`
   * was taken: a request that failed then may have failed for that.
   */
  lostSince(mark: number): boolean {
    return !this.#reachable || mark === -1 || this.#losses !== mark;
  }

  /**
   * Resolves with true once the connection has a server (at once if it
   * has), or with false after `timeoutMs` or when `signal` aborts.
   */
  reachableWithin(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.#reachable || signal.aborted) {
      return Promise.resolve(this.#reachable);
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unfollow();
        signal.removeEventListener('abort', done);
        resolve(this.#reachable);
      };
      const timer = setTimeout(done, timeoutMs);
      const unfollow = this.onChange(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls `listener` on each change; returns the unsubscribe. */
  onChange(listener: ReachabilityListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
