import { bytesOf, isExpired, type StoredEntry } from './entries.js';

/** What `river cache prune` removes of the cache bucket, and keeps. */
export interface EntryPrunePlan {
  /** Entries past their expiry. */
  expired: StoredEntry[];
  /** Values that are no cache entry: no scheduler can reuse them. */
  unreadable: StoredEntry[];
  /** The oldest live entries, removed to fit the byte limit. */
  overLimit: StoredEntry[];
  /** What stays. */
  kept: StoredEntry[];
}

/**
 * Decides which entries go: the expired and unreadable ones, then, when
 * `maxBytes` is given, the oldest recorded until the rest's bytes are at
 * most `maxBytes`.
 */
export function planEntryPrune(
  entries: readonly StoredEntry[],
  now: number,
  maxBytes?: number,
): EntryPrunePlan {
  const expired = entries.filter((stored) => isExpired(stored, now));
  const unreadable = entries.filter((stored) => stored.entry === undefined);
  const live = entries
    .filter((stored) => stored.entry !== undefined && !isExpired(stored, now))
    .sort((a, b) => (a.entry?.recordedAt ?? 0) - (b.entry?.recordedAt ?? 0));
  let total = live.reduce((sum, stored) => sum + bytesOf(stored), 0);
  let cut = 0;
  while (maxBytes !== undefined && total > maxBytes && cut < live.length) {
    total -= bytesOf(live[cut] as StoredEntry);
    cut += 1;
  }
  return {
    expired,
    unreadable,
    overLimit: live.slice(0, cut),
    kept: live.slice(cut),
  };
}

/** An object of the artifact store, as prune weighs it. */
export interface StoredBlob {
  /** Its name: the SHA-256 of its content. */
  name: string;
  size: number;
  /** When it was stored, in ms since the epoch. */
  storedAt: number;
}

/** The digests of every file that `entries` record. */
export function digestsOf(entries: readonly StoredEntry[]): Set<string> {
  return new Set(
    entries.flatMap(
      (stored) => stored.entry?.outcome.files.map((file) => file.digest) ?? [],
    ),
  );
}

/**
 * The blobs to delete: those no digest of `used` names, stored before
 * `storedBefore`, so that what a task uploads just now is left alone.
 */
export function unusedBlobs(
  blobs: readonly StoredBlob[],
  used: ReadonlySet<string>,
  storedBefore: number,
): StoredBlob[] {
  return blobs.filter(
    (blob) => !used.has(blob.name) && blob.storedAt < storedBefore,
  );
}
