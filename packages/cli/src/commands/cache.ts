import type { KV } from '@nats-io/kv';
import {
  NATS_ACCESS_ERROR_CODE,
  type NatsAccessError,
  type RiverConnection,
} from '@river/protocol/internal';
import {
  openCacheBucket,
  readEntries,
  type StoredEntry,
} from '../cache/entries.js';
import {
  cacheStats,
  entryLines,
  entryRows,
  statsLines,
} from '../cache/listing.js';
import { DEFAULT_BLOB_MIN_AGE_DAYS, pruneCache } from '../cache/prune.js';
import { bytesText, counted } from '../format.js';
import { connectToExisting, withRiverConnection } from './context.js';

/** The actions of `river cache`. */
export const CACHE_ACTIONS = ['stats', 'ls', 'rm', 'prune'] as const;

/** One of {@link CACHE_ACTIONS}. */
export type CacheAction = (typeof CACHE_ACTIONS)[number];

/** Which entries `river cache rm` deletes; at least one field is set. */
export interface CacheSelection {
  /** Entries whose cache key starts with these hex digits. */
  keyPrefix?: string | undefined;
  /** Entries of this scope: `trusted` or `untrusted.<name>`. */
  scope?: string | undefined;
  /** Every entry. */
  all?: boolean;
}

/** Options of the `river cache` actions. */
export interface CacheOptions {
  /** `stats`, `ls`: JSON instead of text. */
  json: boolean;
  /** `rm`: what to delete. */
  selection: CacheSelection;
  /** `prune`: delete the oldest entries until the rest take this. */
  maxBytes: number | undefined;
  /** `prune`: keep unused artifact files younger than this. */
  blobMinAgeDays: number | undefined;
}

const NATS_URL_HINT =
  'the NATS server whose task cache to read (river dev prints it)';

/**
 * `river cache stats|ls|rm|prune`: counts and lists the task cache's
 * recorded results, deletes some, or prunes the cache and the artifact
 * store. `rm` and `prune` change what trusted runs reuse, which only
 * River's admin NATS user may.
 */
export function cacheCommand(
  action: CacheAction,
  options: CacheOptions,
): Promise<number> {
  return withRiverConnection(NATS_URL_HINT, async (connection) => {
    const bucket = await openCacheBucket(connection);
    const now = Date.now();
    const entries = bucket === undefined ? [] : await readEntries(bucket);
    switch (action) {
      case 'stats': {
        const stats = cacheStats(entries, now);
        print(options.json ? [JSON.stringify(stats)] : statsLines(stats));
        return 0;
      }
      case 'ls': {
        const rows = entryRows(entries, now);
        print(
          options.json
            ? rows.map((row) => JSON.stringify(row))
            : entryLines(rows),
        );
        return 0;
      }
      case 'rm':
        return asAdmin('rm', () => remove(bucket, entries, options.selection));
      default:
        return asAdmin('prune', async () => {
          print(await prune(connection, bucket, options));
          return 0;
        });
    }
  });
}

async function remove(
  bucket: KV | undefined,
  entries: StoredEntry[],
  selection: CacheSelection,
): Promise<number> {
  const chosen = entries.filter((stored) => matches(stored, selection));
  if (bucket === undefined || chosen.length === 0) {
    throw new Error(
      `No cache entry ${describeSelection(selection)}; river cache ls ` +
        'lists them.',
    );
  }
  for (const stored of chosen) {
    await bucket.purge(stored.bucketKey);
  }
  const bytes = chosen.reduce((sum, { entry }) => sum + (entry?.bytes ?? 0), 0);
  print([
    `Removed ${counted(chosen.length, 'cache entry', 'cache entries')} ` +
      `(${bytesText(bytes)} of files).`,
  ]);
  return 0;
}

function prune(
  connection: RiverConnection,
  bucket: KV | undefined,
  options: CacheOptions,
): Promise<string[]> {
  return pruneCache(connection, bucket, {
    maxBytes: options.maxBytes,
    blobMinAgeDays: options.blobMinAgeDays ?? DEFAULT_BLOB_MIN_AGE_DAYS,
    filesInUse: async () => {
      const client = await connectToExisting();
      try {
        return await client.filesInUse();
      } finally {
        await client.close();
      }
    },
  });
}

/** Whether an entry is one `river cache rm` was asked to delete. */
function matches(stored: StoredEntry, selection: CacheSelection): boolean {
  const { keyPrefix, scope, all } = selection;
  return (
    all === true ||
    ((keyPrefix === undefined || stored.key.startsWith(keyPrefix)) &&
      (scope === undefined || stored.scope === scope))
  );
}

/** `has a key starting with 1a2b in scope trusted`, for a message. */
function describeSelection(selection: CacheSelection): string {
  const parts = [
    selection.keyPrefix === undefined
      ? ''
      : `has a key starting with ${selection.keyPrefix}`,
    selection.scope === undefined ? '' : `is in scope ${selection.scope}`,
  ].filter((part) => part !== '');
  return parts.length === 0 ? 'exists' : parts.join(' and ');
}

/**
 * Runs a step that changes the cache, turning the server's refusal into
 * what to do about it: only River's admin NATS user may change the cache.
 */
async function asAdmin<T>(action: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if ((error as NatsAccessError).code !== NATS_ACCESS_ERROR_CODE) {
      throw error;
    }
    const refused = error as NatsAccessError;
    const who =
      refused.user === undefined
        ? 'a connection without a NATS user'
        : `NATS user '${refused.user}'`;
    throw new Error(
      `river cache ${action} changes the task cache, which only River's ` +
        `admin NATS user may, not ${who}: run it with RIVER_NATS_USER and ` +
        'RIVER_NATS_NKEY_SEED_FILE naming the admin user (river ' +
        `nats-config writes them to admin.env). ${refused.message}`,
      { cause: error },
    );
  }
}

function print(lines: readonly string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}
