import type { KV } from '@nats-io/kv';
import {
  Buckets,
  CACHE_ENTRY_FILTER,
  CacheEntry,
  cacheEntryKey,
} from '@river/protocol';
import {
  openBucketIfExists,
  type RiverConnection,
} from '@river/protocol/internal';
import { Compile } from '@river/protocol/typebox';

/** The scope of trusted runs' entries, as `river cache` names it. */
export const TRUSTED_SCOPE = 'trusted';

/** One key of the cache bucket that holds a recorded result. */
export interface StoredEntry {
  /** Its key in the bucket: `entry.<scope>.<cache key>`. */
  bucketKey: string;
  /** The cache key, the bucket key's last part. */
  key: string;
  /** `trusted`, or `untrusted.<name>` for an untrusted run's scope. */
  scope: string;
  /** The recorded result; undefined when the value is not one. */
  entry: CacheEntry | undefined;
}

const decoder = new TextDecoder();
const cacheEntry = Compile(CacheEntry);

/**
 * The scope of an entry's bucket key, as {@link StoredEntry} names it:
 * the parts between `entry.` and the cache key.
 */
export function scopeOfBucketKey(bucketKey: string): string {
  // `entry.<key>`, with no scope, was not written by River.
  return bucketKey.split('.').slice(1, -1).join('.') || '(none)';
}

/** How entries of an untrusted run's scope `name` show their scope. */
export function untrustedScopeOf(name: string): string {
  return scopeOfBucketKey(cacheEntryKey('0', name));
}

/**
 * Opens the cache bucket, or returns undefined when the server has none
 * (no scheduler has run there and `river setup` was not run since).
 */
export function openCacheBucket(
  connection: RiverConnection,
): Promise<KV | undefined> {
  return openBucketIfExists(connection, Buckets.cache);
}

/**
 * Every recorded result of the cache bucket, oldest key first, read in one
 * pass over the bucket (its keys keep one value each).
 */
export async function readEntries(bucket: KV): Promise<StoredEntry[]> {
  const latest = new Map<string, Uint8Array | undefined>();
  for await (const found of await bucket.history({
    key: CACHE_ENTRY_FILTER,
  })) {
    latest.set(found.key, found.operation === 'PUT' ? found.value : undefined);
  }
  const entries: StoredEntry[] = [];
  for (const [bucketKey, value] of latest) {
    if (value !== undefined) {
      entries.push({
        bucketKey,
        key: bucketKey.split('.').at(-1) ?? '',
        scope: scopeOfBucketKey(bucketKey),
        entry: parseEntry(value),
      });
    }
  }
  return entries;
}

/** A stored value as a cache entry, or undefined when it is none. */
function parseEntry(value: Uint8Array): CacheEntry | undefined {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(value));
    return cacheEntry.Check(parsed) ? (parsed as CacheEntry) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an entry can no longer be reused at `now`. */
export function isExpired(stored: StoredEntry, now: number): boolean {
  return stored.entry !== undefined && stored.entry.expiresAt <= now;
}

/** Bytes of an entry's files, 0 for an unreadable one. */
export function bytesOf(stored: StoredEntry): number {
  return stored.entry?.bytes ?? 0;
}
