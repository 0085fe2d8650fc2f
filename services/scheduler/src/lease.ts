import type { KV } from '@nats-io/kv';
import { DispatcherLease, SCHEMA_VERSION } from '@river/protocol';
import {
  encodeJsonValue,
  type Logger,
  parseJsonValue,
} from '@river/protocol/internal';

/** The key of the lease in the schedulers bucket. */
export const LEASE_KEY = 'dispatcher';

/** How often the holder renews the lease, and others look at it. */
export const LEASE_RENEW_MS = 1_000;

/**
 * How long a lease may go unrenewed before another replica takes it. The
 * others time it by their own clocks, from when they saw its revision
 * change, so replicas need no agreement on the time.
 */
export const LEASE_EXPIRE_MS = 5_000;

/** Timing of a {@link Lease}, shortened in tests. */
export interface LeaseTiming {
  renewMs: number;
  expireMs: number;
}

/**
 * Makes one scheduler replica at a time the dispatcher, through one key
 * of the schedulers bucket written compare-and-set. The holder renews it
 * every second; a replica that sees no renewal for
 * {@link LEASE_EXPIRE_MS} takes it over, and a holder that stops cleanly
 * deletes it, so that another takes over within a second.
 *
 * A holder that stalls past the expiry (a long pause) may dispatch for up
 * to one renewal period after another replica took over; every dispatch
 * is idempotent, so this can only briefly exceed a concurrency limit.
 */
export class Lease {
  readonly #kv: KV;
  readonly #holder: string;
  readonly #log: Logger;
  readonly #timing: LeaseTiming;
  readonly #onChange: (held: boolean) => void;
  #held = false;
  #renewedAt = 0;
  #seenRevision = 0;
  #seenAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    kv: KV,
    holder: string,
    log: Logger,
    onChange: (held: boolean) => void,
    timing: LeaseTiming = {
      renewMs: LEASE_RENEW_MS,
      expireMs: LEASE_EXPIRE_MS,
    },
  ) {
    this.#kv = kv;
    this.#holder = holder;
    this.#log = log;
    this.#onChange = onChange;
    this.#timing = timing;
  }

  /** Starts taking part: tries at once, then every renewal period. */
  start(): void {
    const tick = async () => {
      await this.#tick().catch((error: unknown) => {
        this.#log.warn({ err: error }, 'Could not renew the dispatcher lease');
        this.#set(false);
      });
      if (!this.#stopped) {
        this.#timer = setTimeout(tick, this.#timing.renewMs);
      }
    };
    void tick();
  }

  /**
   * Whether this replica holds the lease now: it renewed it within the
   * expiry, so no other replica may have taken it.
   */
  held(): boolean {
    return this.#held && Date.now() - this.#renewedAt < this.#timing.expireMs;
  }

  /** Stops taking part, and gives the lease up when held. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#held) {
      return;
    }
    this.#set(false);
    const found = await this.#kv.get(LEASE_KEY).catch(() => null);
    const lease =
      found === null ? undefined : parseJsonValue(found.value, DispatcherLease);
    if (found !== null && lease?.holder === this.#holder) {
      await this.#kv
        .delete(LEASE_KEY, { previousSeq: found.revision })
        .catch(() => undefined);
    }
  }

  async #tick(): Promise<void> {
    const now = Date.now();
    const found = await this.#kv.get(LEASE_KEY);
    const value = encodeJsonValue({
      schema: SCHEMA_VERSION,
      holder: this.#holder,
      at: now,
    } satisfies DispatcherLease);
    if (found === null || found.operation !== 'PUT') {
      const revision =
        found === null
          ? await this.#kv.create(LEASE_KEY, value)
          : await this.#kv.update(LEASE_KEY, value, found.revision);
      this.#renewed(revision, now);
      return;
    }
    const lease = parseJsonValue(found.value, DispatcherLease);
    if (lease?.holder === this.#holder) {
      this.#renewed(
        await this.#kv.update(LEASE_KEY, value, found.revision),
        now,
      );
      return;
    }
    this.#set(false);
    if (found.revision !== this.#seenRevision) {
      this.#seenRevision = found.revision;
      this.#seenAt = now;
      return;
    }
    if (now - this.#seenAt >= this.#timing.expireMs) {
      const revision = await this.#kv.update(LEASE_KEY, value, found.revision);
      this.#log.info(
        { previous: lease?.holder ?? 'unreadable', holder: this.#holder },
        'Took over the dispatcher lease',
      );
      this.#renewed(revision, now);
    }
  }

  #renewed(revision: number, at: number): void {
    this.#seenRevision = revision;
    this.#seenAt = at;
    this.#renewedAt = at;
    this.#set(true);
  }

  #set(held: boolean): void {
    if (held === this.#held) {
      return;
    }
    this.#held = held;
    this.#log.info(
      { holder: this.#holder, held },
      held ? 'Dispatching for the fleet' : 'No longer dispatching',
    );
    this.#onChange(held);
  }
}
