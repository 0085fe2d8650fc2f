import { createHash } from 'node:crypto';
import { headers, nuid } from '@nats-io/transport-node';
import type { RiverConnection } from './nats.js';

/** The object store client's chunk size; a server's max payload caps it. */
const MAX_CHUNK_BYTES = 128 * 1024;

/** URL-safe base64 that keeps its padding, as object stores name things. */
function base64UrlPadded(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** The subject of an object's metadata record. */
function metaSubject(bucket: string, name: string): string {
  return `$O.${bucket}.M.${base64UrlPadded(Buffer.from(name, 'utf8'))}`;
}

/**
 * Whether object store `bucket` holds object `name`, told by a direct read
 * of the name's metadata record alone: a NATS user that may add to a store
 * but not read it (the SDK's role and the bundles) can still ask.
 *
 * @throws NatsAccessError when the user may not read the record.
 */
export async function hasObjectWriteOnly(
  connection: RiverConnection,
  bucket: string,
  name: string,
): Promise<boolean> {
  const existing = await connection.jsm.direct.getMessage(`OBJ_${bucket}`, {
    last_by_subj: metaSubject(bucket, name),
  });
  return (
    existing !== null && existing.json<{ deleted?: boolean }>().deleted !== true
  );
}

/**
 * Stores `data` as object `name` of object store `bucket`, unless the
 * store already holds an object of that name, using only publishes and a
 * direct read of that name's metadata record (its size and digest, never
 * its content). A NATS user may thus add to a store it may not read: the
 * SDK's role stores bundles that only controllers read. The records are
 * the ones the object store client writes, so any client reads them.
 *
 * @returns whether the object was stored (false: it was there already).
 * @throws NatsAccessError when the user may not check or write the store.
 */
export async function putObjectWriteOnly(
  connection: RiverConnection,
  bucket: string,
  name: string,
  data: Uint8Array,
): Promise<boolean> {
  const { js, nc } = connection;
  if (await hasObjectWriteOnly(connection, bucket, name)) {
    return false;
  }

  const meta = metaSubject(bucket, name);
  const id = nuid.next();
  const chunkBytes = Math.min(MAX_CHUNK_BYTES, nc.info?.max_payload ?? 1024);
  let chunks = 0;
  for (let at = 0; at < data.length; at += chunkBytes) {
    await js.publish(
      `$O.${bucket}.C.${id}`,
      data.subarray(at, at + chunkBytes),
    );
    chunks++;
  }
  const digest = createHash('sha256').update(data).digest();
  const record = {
    name,
    description: '',
    options: { max_chunk_size: chunkBytes },
    bucket,
    nuid: id,
    size: data.length,
    chunks,
    mtime: new Date().toISOString(),
    digest: `SHA-256=${base64UrlPadded(digest)}`,
    deleted: false,
  };
  // The rollup keeps only the newest record of the name, as the client's
  // own put does.
  const rollup = headers();
  rollup.set('Nats-Rollup', 'sub');
  await js.publish(meta, JSON.stringify(record), { headers: rollup });
  return true;
}
