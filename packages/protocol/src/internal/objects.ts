import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectInfo } from '@nats-io/obj';
import { deleteConsumer } from './follow.js';

/** Chunks read ahead of the consumer at most: a few MiB. */
const READ_AHEAD_CHUNKS = 32;

/**
 * Reads an object's chunks from its object store with a pull consumer, so
 * that at most a few chunks sit in memory however large the object is.
 * (The object store client's own `get` takes chunks as fast as the server
 * sends them, and a slow reader then holds the whole object in memory.)
 */
export async function* readObjectChunks(
  js: JetStreamClient,
  bucket: string,
  info: ObjectInfo,
): AsyncGenerator<Uint8Array> {
  if (info.chunks === 0) {
    return;
  }
  const consumer = await js.consumers.get(`OBJ_${bucket}`, {
    filter_subjects: `$O.${bucket}.C.${info.nuid}`,
  });
  const messages = await consumer.consume({ max_messages: READ_AHEAD_CHUNKS });
  let read = 0;
  try {
    for await (const message of messages) {
      yield message.data;
      read++;
      if (read >= info.chunks) {
        return;
      }
    }
  } finally {
    await messages.close();
    deleteConsumer(consumer);
  }
}

/**
 * Whether an object store holds an object of this content: present, not
 * deleted, of this size, and recorded with this SHA-256 (lower-case hex).
 * A file stored under its digest is otherwise stored again, which repairs
 * an object that was deleted or overwritten with other bytes.
 */
export function holdsContent(
  info: ObjectInfo | null,
  digest: string,
  size: number,
): boolean {
  if (info === null || info.deleted || info.size !== size) {
    return false;
  }
  const recorded = Buffer.from(digest, 'hex')
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  return info.digest === `SHA-256=${recorded}`;
}
