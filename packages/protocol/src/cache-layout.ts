/**
 * Where the cache buckets keep things. Trusted runs use the `trusted`
 * scope; an untrusted run uses `untrusted.<its scope>`, so that no key of
 * one can be a key of the other.
 */

/** The scope part of a cache bucket key. */
function scopeOf(untrustedScope: string | undefined): string {
  return untrustedScope === undefined
    ? 'trusted'
    : `untrusted.${untrustedScope}`;
}

/** The key of a recorded result in the cache bucket. */
export function cacheEntryKey(key: string, untrustedScope?: string): string {
  return `entry.${scopeOf(untrustedScope)}.${key}`;
}

/** The key of a task's last request in the cache bucket. */
export function cacheLastRequestKey(
  identity: string,
  untrustedScope?: string,
): string {
  return `last.${scopeOf(untrustedScope)}.${identity}`;
}

/** The key of a cache key's flight in the flights bucket. */
export function cacheFlightKey(key: string, untrustedScope?: string): string {
  return `${scopeOf(untrustedScope)}.${key}`;
}

/** Matches every recorded result's key in the cache bucket. */
export const CACHE_ENTRY_FILTER = 'entry.>';

/** Matches every last request's key in the cache bucket. */
export const CACHE_LAST_REQUEST_FILTER = 'last.>';
