import {
  bytesText,
  counted,
  isoSecond,
  shortKey,
  tableLines,
} from '../format.js';
import { bytesOf, isExpired, type StoredEntry } from './entries.js';

/** Counts of a set of entries, as `river cache stats` gives them. */
export interface EntryCounts {
  entries: number;
  /** Bytes of the entries' files together. */
  bytes: number;
  expired: number;
  /** Values that are no cache entry. */
  unreadable: number;
}

/** `river cache stats`: the counts of all entries, and of each scope. */
export interface CacheStats extends EntryCounts {
  scopes: Record<string, EntryCounts>;
}

/** The counts of `entries` at `now`, overall and per scope. */
export function cacheStats(
  entries: readonly StoredEntry[],
  now: number,
): CacheStats {
  const stats: CacheStats = { ...noEntries(), scopes: {} };
  for (const stored of [...entries].sort(byScope)) {
    const scope = stats.scopes[stored.scope] ?? noEntries();
    stats.scopes[stored.scope] = scope;
    for (const counts of [stats, scope]) {
      counts.entries += 1;
      counts.bytes += bytesOf(stored);
      counts.expired += isExpired(stored, now) ? 1 : 0;
      counts.unreadable += stored.entry === undefined ? 1 : 0;
    }
  }
  return stats;
}

/** What `river cache stats` prints. */
export function statsLines(stats: CacheStats): string[] {
  const head =
    `${counted(stats.entries, 'entry', 'entries')}, ` +
    `${bytesText(stats.bytes)} of files, ${stats.expired} expired` +
    (stats.unreadable > 0 ? `, ${stats.unreadable} unreadable` : '');
  const scopes = Object.entries(stats.scopes);
  if (scopes.length === 0) {
    return [head];
  }
  return [
    head,
    ...tableLines([
      ['SCOPE', 'ENTRIES', 'BYTES', 'EXPIRED'],
      ...scopes.map(([scope, counts]) => [
        scope,
        String(counts.entries),
        bytesText(counts.bytes),
        String(counts.expired),
      ]),
    ]),
  ];
}

/** One entry as `river cache ls --json` prints it. */
export interface EntryRow {
  key: string;
  scope: string;
  /** The run and task whose result it records. */
  origin: { runId: string; taskId: string; attempt: number } | undefined;
  recordedAt: string | undefined;
  expiresAt: string | undefined;
  expired: boolean;
  bytes: number;
  files: number;
}

/** The entries as rows, oldest first, unreadable ones last. */
export function entryRows(
  entries: readonly StoredEntry[],
  now: number,
): EntryRow[] {
  return [...entries]
    .sort(
      (a, b) =>
        (a.entry?.recordedAt ?? Number.POSITIVE_INFINITY) -
        (b.entry?.recordedAt ?? Number.POSITIVE_INFINITY),
    )
    .map((stored) => {
      const { entry } = stored;
      return {
        key: stored.key,
        scope: stored.scope,
        origin:
          entry === undefined
            ? undefined
            : {
                runId: entry.origin.runId,
                taskId: entry.origin.taskId,
                attempt: entry.origin.attempt,
              },
        recordedAt:
          entry === undefined ? undefined : isoSecond(entry.recordedAt),
        expiresAt: entry === undefined ? undefined : isoSecond(entry.expiresAt),
        expired: isExpired(stored, now),
        bytes: bytesOf(stored),
        files: entry?.outcome.files.length ?? 0,
      };
    });
}

/** What `river cache ls` prints: a table, or a line when it is empty. */
export function entryLines(rows: readonly EntryRow[]): string[] {
  if (rows.length === 0) {
    return ['The task cache has no entries.'];
  }
  return tableLines([
    ['KEY', 'SCOPE', 'ORIGIN', 'RECORDED', 'EXPIRES', 'BYTES'],
    ...rows.map((row) => [
      shortKey(row.key),
      row.scope,
      row.origin === undefined
        ? '(unreadable)'
        : `${row.origin.runId}/${row.origin.taskId}`,
      row.recordedAt ?? '-',
      row.expired ? `${row.expiresAt} (expired)` : (row.expiresAt ?? '-'),
      bytesText(row.bytes),
    ]),
  ]);
}

function noEntries(): EntryCounts {
  return { entries: 0, bytes: 0, expired: 0, unreadable: 0 };
}

function byScope(a: StoredEntry, b: StoredEntry): number {
  return a.scope.localeCompare(b.scope);
}
