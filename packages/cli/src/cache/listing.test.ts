import { describe, expect, it } from 'vitest';
import { cacheStats, entryLines, entryRows, statsLines } from './listing.js';
import { storedEntry } from './test-entries.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const HOUR_MS = 3_600_000;

const entries = [
  storedEntry({
    key: '1a',
    recordedAt: NOW - 2 * HOUR_MS,
    expiresAt: NOW - HOUR_MS,
    bytes: 2_048,
  }),
  storedEntry({
    key: '2b',
    scope: 'untrusted.pr-12',
    recordedAt: NOW - HOUR_MS,
    expiresAt: NOW + HOUR_MS,
    bytes: 100,
  }),
];

describe('river cache stats', () => {
  it('counts entries, bytes and expired ones, in all and per scope', () => {
    const stats = cacheStats(entries, NOW);
    expect(stats).toMatchObject({ entries: 2, bytes: 2_148, expired: 1 });
    expect(statsLines(stats)).toEqual([
      '2 entries, 2.1 KiB of files, 1 expired',
      'SCOPE            ENTRIES  BYTES    EXPIRED',
      'trusted          1        2.0 KiB  1',
      'untrusted.pr-12  1        100 B    0',
    ]);
  });
});

describe('river cache ls', () => {
  it('lists each entry with its short key, scope, origin, times and size', () => {
    expect(entryLines(entryRows(entries, NOW))).toEqual([
      'KEY           SCOPE            ORIGIN         RECORDED              ' +
        'EXPIRES                         BYTES',
      '1a1111111111  trusted          run-1a/make-1  2026-12-05T10:00:00Z  ' +
        '2026-12-05T11:00:00Z (expired)  2.0 KiB',
      '2b2222222222  untrusted.pr-12  run-2b/make-1  2026-12-05T11:00:00Z  ' +
        '2026-12-05T13:00:00Z            100 B',
    ]);
  });

  it('says so when the cache is empty', () => {
    expect(entryLines(entryRows([], NOW))).toEqual([
      'The task cache has no entries.',
    ]);
  });
});
