import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { RiverConnection } from './nats.js';

/** JetStream's code for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

/**
 * Opens key-value bucket `name`, or resolves with undefined when the
 * server has no such bucket (nothing made it yet), without creating it.
 */
export async function openBucketIfExists(
  connection: RiverConnection,
  name: string,
): Promise<KV | undefined> {
  try {
    const bucket = await connection.kvm.open(name);
    await bucket.status();
    return bucket;
  } catch (error) {
    if (
      (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) ||
      /stream not found/i.test((error as Error).message)
    ) {
      return undefined;
    }
    throw error;
  }
}
