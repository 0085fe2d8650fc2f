import type { KV } from '@nats-io/kv';
import {
  Buckets,
  Consumers,
  PoolSummary,
  SandboxPresence,
  Streams,
} from '@river/protocol';
import {
  openBucketIfExists,
  parseJsonValue,
  type RiverConnection,
} from '@river/protocol/internal';

/** A sandbox that has not announced itself for this long is left out. */
const GONE_MS = 5_000;

/** A pool summary older than this while others are fresh is a leftover. */
const STALE_AFTER_MS = 10_000;

/** One dispatch queue of a pool, as `river status` shows it. */
export interface QueueStatus {
  labels: string[];
  sandboxes: number;
  slots: number;
  busy: number;
  /** Tasks dispatched to it and not finished. */
  dispatched: number;
  /** Messages waiting in it for a sandbox: the consumer's lag. */
  depth: number | undefined;
}

/** One pool, as `river status` shows it. */
export interface PoolStatus {
  pool: string;
  /** Tasks the scheduler holds back: for room, a sandbox or a limit. */
  waiting: number;
  unplaceable: number;
  limited: number;
  queues: QueueStatus[];
  /** How old the dispatcher's summary is, in milliseconds. */
  ageMs: number;
}

/** What `river status` reports. */
export interface FleetStatus {
  pools: PoolStatus[];
  sandboxes: SandboxPresence[];
}

/**
 * Reads the fleet: the dispatching scheduler's summary of each pool, the
 * depth of each queue from its consumer, and the sandboxes that
 * announced themselves in the last ten seconds.
 */
export async function readFleetStatus(
  connection: RiverConnection,
  now = Date.now(),
): Promise<FleetStatus> {
  const schedulers = await openBucketIfExists(connection, Buckets.schedulers);
  const announced = await openBucketIfExists(connection, Buckets.sandboxes);
  const summaries = await readValues(schedulers, 'pool.>', (bytes) =>
    parseJsonValue(bytes, PoolSummary),
  );
  const sandboxes = (
    await readValues(announced, '>', (bytes) =>
      parseJsonValue(bytes, SandboxPresence),
    )
  )
    .filter(
      ({ key, value, created }) =>
        now - created < GONE_MS && key.startsWith(`${value.pool}.`),
    )
    .map(({ value }) => value);

  const pools: PoolStatus[] = [];
  for (const { value, created } of summaries) {
    const queues: QueueStatus[] = [];
    for (const queue of value.queues) {
      queues.push({
        ...queue,
        depth: await queueDepth(connection, value.pool, queue.labels),
      });
    }
    pools.push({
      pool: value.pool,
      waiting: value.waiting,
      unplaceable: value.unplaceable,
      limited: value.limited,
      queues,
      ageMs: Math.max(0, now - created),
    });
  }
  // While a dispatcher writes, a pool it no longer writes is gone: its
  // summary is a leftover of an earlier dispatcher.
  const freshest = Math.min(...pools.map((pool) => pool.ageMs));
  const shown = pools.filter(
    (pool) => freshest > STALE_AFTER_MS || pool.ageMs <= STALE_AFTER_MS,
  );
  shown.sort((a, b) => a.pool.localeCompare(b.pool));
  sandboxes.sort(
    (a, b) =>
      a.pool.localeCompare(b.pool) || a.sandboxId.localeCompare(b.sandboxId),
  );
  return { pools: shown, sandboxes };
}

/** The values under `filter` that parse, with when each was written. */
async function readValues<T>(
  kv: KV | undefined,
  filter: string,
  parse: (bytes: Uint8Array) => T | undefined,
): Promise<{ key: string; value: T; created: number }[]> {
  const found: { key: string; value: T; created: number }[] = [];
  if (kv === undefined) {
    return found;
  }
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) {
    keys.push(key);
  }
  for (const key of keys) {
    const entry = await kv.get(key);
    const value = entry?.operation === 'PUT' ? parse(entry.value) : undefined;
    if (entry !== null && value !== undefined) {
      found.push({ key, value, created: entry.created.getTime() });
    }
  }
  return found;
}

/** The queue's lag, or undefined when its consumer cannot be read. */
async function queueDepth(
  connection: RiverConnection,
  pool: string,
  labels: readonly string[],
): Promise<number | undefined> {
  return connection.jsm.consumers
    .info(Streams.dispatch, Consumers.sandboxPool(pool, labels))
    .then((info) => info.num_pending)
    .catch(() => undefined);
}
