import { Buckets } from '../subjects.js';
import { openFleetBucket } from './fleet-buckets.js';
import type { RiverConnection } from './nats.js';
import {
  DEFAULT_RETENTION_DAYS,
  ensureStreams,
  streamConfigs,
  streamReplicasFromEnv,
} from './streams.js';

const DAY_MS = 24 * 60 * 60 * 1_000;

/**
 * Days a tasks-bucket entry lives after its last write: the scheduler's
 * own default, which it applies to the bucket at start-up anyway.
 */
const TASK_TTL_DAYS = 7;

/** Days a cancellation is kept, as the services open the bucket with. */
const CANCEL_TTL_DAYS = 7;

/** Options of {@link setupRiver}. */
export interface SetupOptions {
  /** Days events and log chunks are kept; 30 unless given. */
  retentionDays?: number;
  /** Copies of each stream and bucket; `RIVER_STREAM_REPLICAS`, else 1. */
  replicas?: number;
}

/**
 * Creates every stream and bucket River uses that does not exist yet,
 * with the settings the services would give them, so that services whose
 * NATS users may not create streams can start. What exists is left as it
 * is. Needs a user allowed to create streams (River's `admin` role).
 *
 * @returns the names of the JetStream streams that River uses, all of
 *   which now exist.
 * @throws NatsAccessError when the user may not create what is missing.
 */
export async function setupRiver(
  connection: RiverConnection,
  options: SetupOptions = {},
): Promise<string[]> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const replicas = options.replicas ?? streamReplicasFromEnv();
  const { jsm, kvm, objm } = connection;

  await ensureStreams(jsm, retentionDays, replicas);
  await kvm.create(Buckets.tasks, {
    history: 1,
    ttl: TASK_TTL_DAYS * DAY_MS,
    replicas,
  });
  await kvm.create(Buckets.cancels, {
    ttl: CANCEL_TTL_DAYS * DAY_MS,
    replicas,
  });
  await kvm.create(Buckets.logIndex, {
    history: 1,
    ttl: retentionDays * DAY_MS,
    replicas,
  });
  await kvm.create(Buckets.secrets, { history: 1, storage: 'file', replicas });
  await kvm.create(Buckets.cache, { history: 1, replicas });
  await kvm.create(Buckets.cacheFlights, {
    history: 1,
    ttl: TASK_TTL_DAYS * DAY_MS,
    replicas,
  });
  await openFleetBucket(connection, Buckets.sandboxes, replicas);
  await openFleetBucket(connection, Buckets.schedulers, replicas);
  await objm.create(Buckets.bundles, { storage: 'file', replicas });
  await objm.create(Buckets.artifacts, { storage: 'file', replicas });

  return [
    ...Object.keys(streamConfigs()),
    ...[
      Buckets.tasks,
      Buckets.cancels,
      Buckets.logIndex,
      Buckets.secrets,
      Buckets.cache,
      Buckets.cacheFlights,
      Buckets.sandboxes,
      Buckets.schedulers,
    ].map((bucket) => `KV_${bucket}`),
    ...[Buckets.bundles, Buckets.artifacts].map((bucket) => `OBJ_${bucket}`),
  ];
}
