import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import {
  decodeTaskEntry,
  encodeTaskEntry,
  type TaskEntry,
} from './task-entry.js';

/** An entry with the revision that a compare-and-set update must name. */
export interface StoredTask<Entry extends TaskEntry = TaskEntry> {
  entry: Entry;
  revision: number;
}

/**
 * The tasks bucket. Writes are compare-and-set, so replicas that race on
 * one task see a conflict (`undefined`) instead of overwriting each other.
 * Entries are never deleted: a finished task's entry is replaced by its
 * tombstone, and the bucket's age limit removes both in time.
 */
export class TaskStore {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  /** The task's entry, or `undefined` when there is none (or it was deleted). */
  async read(key: string): Promise<StoredTask | undefined> {
    const found = await this.#kv.get(key);
    if (found === null || found.operation !== 'PUT') {
      return undefined;
    }
    return {
      entry: decodeTaskEntry(key, found.value),
      revision: found.revision,
    };
  }

  /** Creates the entry; `undefined` when one exists already. */
  async create(key: string, entry: TaskEntry): Promise<number | undefined> {
    return conflictAsUndefined(() =>
      this.#kv.create(key, encodeTaskEntry(entry)),
    );
  }

  /** Replaces the entry at `revision`; `undefined` when it has changed. */
  async update(
    key: string,
    entry: TaskEntry,
    revision: number,
  ): Promise<number | undefined> {
    return conflictAsUndefined(() =>
      this.#kv.update(key, encodeTaskEntry(entry), revision),
    );
  }
}

async function conflictAsUndefined(
  write: () => Promise<number>,
): Promise<number | undefined> {
  try {
    return await write();
  } catch (error) {
    if (
      error instanceof JetStreamApiError &&
      (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
        error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    ) {
      return undefined;
    }
    throw error;
  }
}
