import type { KV, KvWatchEntry } from '@nats-io/kv';
import {
  Buckets,
  labelSet,
  labelSetKey,
  SandboxPresence,
} from '@river/protocol';
import {
  followBucket,
  type Logger,
  parseJsonValue,
} from '@river/protocol/internal';

/**
 * How long a sandbox may go without renewing its announcement before it
 * counts as gone: three of its one-second renewals. Timed by this
 * process's clock from when each renewal arrived, so clocks of other
 * hosts do not matter.
 */
export const SANDBOX_GONE_MS = 3_000;

/** One dispatch queue's live sandboxes, summed. */
export interface FleetQueue {
  pool: string;
  /** The labels its sandboxes offer, sorted. */
  labels: string[];
  /** Live sandboxes, draining ones included. */
  sandboxes: number;
  /** Slots of the live sandboxes that take work. */
  slots: number;
  /** Tasks the sandboxes say they hold. */
  busy: number;
}

/** The queue id of a pool and label set: `<pool>` or `<pool>.<labels>`. */
export function queueId(pool: string, labels: readonly string[]): string {
  return labels.length === 0 ? pool : `${pool}.${labelSetKey(labels)}`;
}

/**
 * Whether an announcement sits under its own pool's keys
 * (`<pool>.<id>`), the only ones that pool's sandboxes may write.
 */
export function announcedUnderItsPool(
  key: string,
  presence: Pick<SandboxPresence, 'pool'>,
): boolean {
  return key.startsWith(`${presence.pool}.`);
}

/**
 * The live sandboxes, kept current from the sandboxes bucket: each
 * announcement, and the time it arrived.
 */
export class FleetView {
  readonly #seen = new Map<string, { presence: SandboxPresence; at: number }>();
  readonly #goneMs: number;
  #stop: () => void = () => undefined;

  private constructor(goneMs: number) {
    this.#goneMs = goneMs;
  }

  /**
   * Starts watching the bucket; `onChange` is called when a sandbox
   * comes, leaves or changes what it offers (pool, labels, slots,
   * draining), not on each renewal.
   */
  static start(
    kv: KV,
    log: Logger,
    onChange: () => void,
    goneMs = SANDBOX_GONE_MS,
  ): FleetView {
    const view = new FleetView(goneMs);
    const followed = followBucket(
      kv,
      Buckets.sandboxes,
      (entry) => view.#take(entry, log, onChange),
      log,
    );
    view.#stop = () => followed.stop();
    return view;
  }

  #take(entry: KvWatchEntry, log: Logger, onChange: () => void): void {
    if (entry.operation !== 'PUT') {
      this.#seen.delete(entry.key);
      onChange();
      return;
    }
    const presence = parseJsonValue(entry.value, SandboxPresence);
    if (presence === undefined) {
      log.warn(
        { subject: `${Buckets.sandboxes}.${entry.key}` },
        'Ignored an unreadable sandbox announcement',
      );
      return;
    }
    if (!announcedUnderItsPool(entry.key, presence)) {
      // A pool's NATS user may write only keys of its pool: taking the
      // pool from the value would let it fill another pool's placement.
      log.warn(
        { subject: `${Buckets.sandboxes}.${entry.key}`, pool: presence.pool },
        "Ignored a sandbox announcement outside its pool's keys",
      );
      this.#seen.delete(entry.key);
      onChange();
      return;
    }
    // A live update counts from now; a value read again (at start, or
    // when the watch is replaced) only from when it was written.
    const now = Date.now();
    const at = entry.isUpdate ? now : Math.min(now, entry.created.getTime());
    const before = this.#seen.get(entry.key)?.presence;
    this.#seen.set(entry.key, { presence, at });
    if (before === undefined || offerChanged(before, presence)) {
      onChange();
    }
  }

  /** The sandboxes heard from within the last {@link SANDBOX_GONE_MS}. */
  live(now = Date.now()): SandboxPresence[] {
    const live: SandboxPresence[] = [];
    for (const [key, { presence, at }] of this.#seen) {
      if (now - at < this.#goneMs) {
        live.push(presence);
      } else {
        this.#seen.delete(key);
      }
    }
    return live;
  }

  /** The live sandboxes summed by queue, keyed by {@link queueId}. */
  queues(now = Date.now()): Map<string, FleetQueue> {
    const queues = new Map<string, FleetQueue>();
    for (const sandbox of this.live(now)) {
      const labels = labelSet(sandbox.labels);
      const id = queueId(sandbox.pool, labels);
      const queue = queues.get(id) ?? {
        pool: sandbox.pool,
        labels,
        sandboxes: 0,
        slots: 0,
        busy: 0,
      };
      queue.sandboxes += 1;
      queue.slots += sandbox.draining ? 0 : sandbox.slots;
      queue.busy += sandbox.busy;
      queues.set(id, queue);
    }
    return queues;
  }

  /** Stops watching. */
  stop(): void {
    this.#stop();
  }
}

/** Whether a sandbox now offers something else than it did. */
function offerChanged(before: SandboxPresence, now: SandboxPresence): boolean {
  return (
    before.pool !== now.pool ||
    before.slots !== now.slots ||
    before.draining !== now.draining ||
    before.labels.join() !== now.labels.join()
  );
}
