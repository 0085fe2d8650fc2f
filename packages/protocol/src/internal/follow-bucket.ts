import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Logger } from './logger.js';

/** How often a followed bucket is checked for a watch that fell behind. */
export const FOLLOW_CHECK_MS = 2_000;

/** A bucket followed by {@link followBucket}. */
export interface FollowedBucket {
  /** Stops following. */
  stop(): void;
}

/**
 * Follows every key of a key-value bucket: `onEntry` gets each key's
 * last value, then every change. A key-value watch is an ordered
 * consumer, which on nats-server 2.9 may stop delivering for good when
 * the cluster node that served it stops; so the bucket's last revision
 * is compared with the last one delivered every {@link FOLLOW_CHECK_MS},
 * and a watch that stayed behind over two checks (or ended by itself)
 * is replaced by a new one, which delivers every key's last value again.
 * `onEntry` must therefore take a value it has seen before.
 */
export function followBucket(
  kv: KV,
  name: string,
  onEntry: (entry: KvWatchEntry) => void,
  log: Logger,
  checkMs = FOLLOW_CHECK_MS,
): FollowedBucket {
  let stopped = false;
  let seen = 0;
  let behindAt: number | undefined;
  let current: { stop(): void } | undefined;

  const watch = async (): Promise<void> => {
    const watcher = await kv.watch();
    current = watcher;
    for await (const entry of watcher) {
      seen = Math.max(seen, entry.revision);
      onEntry(entry);
    }
    if (!stopped && current === watcher) {
      log.warn({ bucket: name }, 'Watch of a bucket ended; following it again');
      current = undefined;
    }
  };
  const start = () => {
    watch().catch((error: unknown) => {
      log.warn({ bucket: name, err: error }, 'Could not watch a bucket');
      current = undefined;
    });
  };

  const check = async (): Promise<void> => {
    if (current === undefined) {
      start();
      return;
    }
    const { state } = (await kv.status()).streamInfo;
    if (state.messages === 0 || state.last_seq <= seen) {
      behindAt = undefined;
      return;
    }
    if (behindAt === undefined || behindAt !== seen) {
      // Behind for the first time at this point: a write may be on its way.
      behindAt = seen;
      return;
    }
    log.warn(
      { bucket: name, delivered: seen, last: state.last_seq },
      'Watch of a bucket fell behind; following it again',
    );
    const stale = current;
    current = undefined;
    behindAt = undefined;
    stale.stop();
    start();
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    check()
      .catch((error: unknown) =>
        log.debug({ bucket: name, err: error }, 'Could not check a watch'),
      )
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, checkMs);
        }
      });
  };
  start();
  timer = setTimeout(tick, checkMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      current?.stop();
    },
  };
}
