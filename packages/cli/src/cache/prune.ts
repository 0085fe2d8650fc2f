import type { KV } from '@nats-io/kv';
import { Buckets, CACHE_LAST_REQUEST_FILTER } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { bytesText, counted } from '../format.js';
import { bytesOf, readEntries, type StoredEntry } from './entries.js';
import {
  digestsOf,
  planEntryPrune,
  type StoredBlob,
  unusedBlobs,
} from './prune-plan.js';

/** A day, for `--blob-min-age-days`. */
const DAY_MS = 24 * 60 * 60 * 1_000;

/**
 * How long a task's last request is kept to explain its next miss: one
 * older than this explains little, and each task ever run has one.
 */
export const LAST_REQUEST_KEEP_DAYS = 90;

/** How old an unused artifact file must be before prune deletes it. */
export const DEFAULT_BLOB_MIN_AGE_DAYS = 7;

/** Options of `river cache prune`. */
export interface PruneOptions {
  /** Delete the oldest entries until the rest take at most this. */
  maxBytes: number | undefined;
  /** Keep unused artifact files younger than this many days. */
  blobMinAgeDays: number;
  /** The files that runs still going use, which stay. */
  filesInUse: () => Promise<ReadonlySet<string>>;
}

/**
 * Prunes the cache and the artifact store: deletes expired and unreadable
 * entries, then the oldest until the rest fit `maxBytes`, then the
 * artifact files that no remaining entry and no run still going uses and
 * that were stored more than `blobMinAgeDays` ago (what tasks upload now
 * is younger). Resolves with the lines that say what it removed.
 *
 * @throws NatsAccessError when the user may not delete (only the admin
 *   user may); Error when the server has no cache bucket.
 */
export async function pruneCache(
  connection: RiverConnection,
  bucket: KV | undefined,
  options: PruneOptions,
): Promise<string[]> {
  if (bucket === undefined) {
    // Every unused file would go: more likely a server never set up for
    // the cache than one whose cache is empty.
    throw new Error(
      `This server has no ${Buckets.cache} bucket, so nothing tells which ` +
        'artifact files the cache needs: run river setup as the admin ' +
        'user first.',
    );
  }
  const now = Date.now();
  const entries = await readEntries(bucket);
  const plan = planEntryPrune(entries, now, options.maxBytes);
  for (const stored of [
    ...plan.expired,
    ...plan.unreadable,
    ...plan.overLimit,
  ]) {
    await bucket.purge(stored.bucketKey);
  }

  const lastRequests = await pruneLastRequests(
    bucket,
    now - LAST_REQUEST_KEEP_DAYS * DAY_MS,
  );

  const used = new Set([
    ...digestsOf(plan.kept),
    ...(await options.filesInUse()),
  ]);
  const artifacts = await connection.objm.open(Buckets.artifacts);
  const blobs: StoredBlob[] = (await artifacts.list())
    .filter((info) => !info.deleted)
    .map((info) => ({
      name: info.name,
      size: info.size,
      storedAt: Date.parse(info.mtime),
    }));
  const unused = unusedBlobs(
    blobs,
    used,
    now - options.blobMinAgeDays * DAY_MS,
  );
  for (const blob of unused) {
    await artifacts.delete(blob.name);
  }

  return [
    removedLine(plan.expired, 'expired'),
    removedLine(plan.unreadable, 'not readable as cache entries'),
    removedLine(
      plan.overLimit,
      `the oldest, over --max-bytes ${bytesText(options.maxBytes ?? 0)}`,
    ),
    lastRequests === 0
      ? ''
      : `Removed ${counted(lastRequests, "task's last request", "tasks' last requests")} ` +
        `older than ${LAST_REQUEST_KEEP_DAYS} days or unreadable.`,
    `Removed ${counted(unused.length, 'artifact file')} ` +
      `(${bytesText(sum(unused.map((blob) => blob.size)))}) that no cache ` +
      'entry or running run uses, stored more than ' +
      `${counted(options.blobMinAgeDays, 'day')} ago.`,
    `Kept ${counted(plan.kept.length, 'entry', 'entries')} ` +
      `(${bytesText(sum(plan.kept.map(bytesOf)))}) and ` +
      `${counted(blobs.length - unused.length, 'artifact file')}.`,
  ].filter((line) => line !== '');
}

/**
 * Deletes the records of tasks' last requests made before `before`, and
 * unreadable ones; resolves with how many it deleted.
 */
async function pruneLastRequests(bucket: KV, before: number): Promise<number> {
  const keys: string[] = [];
  for await (const key of await bucket.keys(CACHE_LAST_REQUEST_FILTER)) {
    keys.push(key);
  }
  let removed = 0;
  for (const key of keys) {
    const found = await bucket.get(key);
    if (found === null || found.operation !== 'PUT') {
      continue;
    }
    let at: unknown;
    try {
      at = (JSON.parse(found.string()) as { at?: unknown }).at;
    } catch {
      at = undefined;
    }
    if (typeof at !== 'number' || at < before) {
      await bucket.purge(key);
      removed++;
    }
  }
  return removed;
}

/** `Removed 2 entries (1.2 KiB): expired.`, or nothing for none. */
function removedLine(removed: StoredEntry[], why: string): string {
  if (removed.length === 0) {
    return '';
  }
  const entries = counted(removed.length, 'entry', 'entries');
  return `Removed ${entries} (${bytesText(sum(removed.map(bytesOf)))}): ${why}.`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
