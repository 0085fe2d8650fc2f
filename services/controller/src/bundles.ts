import { createHash } from 'node:crypto';
import type { Objm } from '@nats-io/obj';
import { Buckets } from '@river/protocol';

/**
 * Reads a bundled project module from the bundles object store and checks
 * it against its digest.
 *
 * @throws Error naming the digest when the bundle is missing or altered.
 */
export async function fetchBundle(objm: Objm, digest: string): Promise<string> {
  const store = await objm.create(Buckets.bundles);
  const bytes = await store.getBlob(digest);
  if (bytes === null) {
    throw new Error(
      `bundle ${digest} is not in the '${Buckets.bundles}' object store; ` +
        'submit the project again',
    );
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== digest) {
    throw new Error(
      `bundle ${digest} is corrupt: its content hashes to ${actual}`,
    );
  }
  return new TextDecoder().decode(bytes);
}
