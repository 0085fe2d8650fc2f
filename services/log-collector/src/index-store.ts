import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { decode, encode, type LogIndexEntry } from '@river/protocol';

/** An entry with the revision that a compare-and-set update must name. */
export interface StoredIndexEntry {
  entry: LogIndexEntry;
  revision: number;
}

/**
 * The log index bucket. Writes are compare-and-set, so two collectors that
 * count chunks of one attempt at once see a conflict (`undefined`) instead
 * of losing each other's counts.
 */
export class LogIndexStore {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  /**
   * The attempt's entry, or `undefined` when it has none yet.
   *
   * @throws MessageDecodeError when the stored value is not an entry.
   */
  async read(key: string): Promise<StoredIndexEntry | undefined> {
    const found = await this.#kv.get(key);
    if (found === null || found.operation !== 'PUT') {
      return undefined;
    }
    return {
      entry: decode('logIndexEntry', `${found.bucket}.${key}`, found.value),
      revision: found.revision,
    };
  }

  /**
   * Writes the entry: creates it when `revision` is undefined, otherwise
   * replaces the one at `revision`. `undefined` when someone wrote first.
   */
  async write(
    key: string,
    entry: LogIndexEntry,
    revision: number | undefined,
  ): Promise<number | undefined> {
    const bytes = encode('logIndexEntry', entry);
    try {
      return revision === undefined
        ? await this.#kv.create(key, bytes)
        : await this.#kv.update(key, bytes, revision);
    } catch (error) {
      if (isConflict(error)) {
        return undefined;
      }
      throw error;
    }
  }
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
