import type { KV } from '@nats-io/kv';
import type { Buckets } from '../subjects.js';
import type { RiverConnection } from './nats.js';
import { streamReplicasFromEnv } from './streams.js';

/**
 * How long the fleet's buckets keep a value nobody renews: a gone
 * sandbox's announcement, a pool summary nobody writes any more. The
 * dispatching scheduler counts a sandbox gone much sooner, by its own
 * clock.
 */
export const FLEET_VALUE_TTL_MS = 60_000;

/**
 * Opens (creating it when missing and allowed) one of the fleet's
 * buckets: the sandboxes' announcements or the schedulers' shared state.
 * A bucket it creates keeps `replicas` copies, by default
 * `RIVER_STREAM_REPLICAS` as for the streams: placement stops while the
 * schedulers' bucket cannot be reached, so on a cluster it must outlive
 * a node.
 */
export function openFleetBucket(
  connection: Pick<RiverConnection, 'kvm'>,
  bucket: typeof Buckets.sandboxes | typeof Buckets.schedulers,
  replicas = streamReplicasFromEnv(),
): Promise<KV> {
  return connection.kvm.create(bucket, {
    history: 1,
    ttl: FLEET_VALUE_TTL_MS,
    replicas,
  });
}
