import { describe, expect, it } from 'vitest';
import { digestsOf, planEntryPrune, unusedBlobs } from './prune-plan.js';
import { storedEntry } from './test-entries.js';

const NOW = 1_800_000_000_000;
const HOUR_MS = 3_600_000;

const entries = [
  storedEntry({
    key: 'a',
    recordedAt: NOW - 3 * HOUR_MS,
    expiresAt: NOW + HOUR_MS,
    bytes: 300,
    files: ['d1'],
  }),
  storedEntry({
    key: 'b',
    recordedAt: NOW - 2 * HOUR_MS,
    expiresAt: NOW - 1,
    bytes: 200,
    files: ['d2'],
  }),
  storedEntry({
    key: 'c',
    recordedAt: NOW - HOUR_MS,
    expiresAt: NOW + HOUR_MS,
    bytes: 100,
    files: ['d3'],
  }),
  {
    ...storedEntry({ key: 'e', recordedAt: 0, expiresAt: 0, bytes: 0 }),
    entry: undefined,
  },
];

describe('which entries prune removes', () => {
  it('removes expired and unreadable entries, and no more without a limit', () => {
    const plan = planEntryPrune(entries, NOW);
    expect(plan.expired.map((stored) => stored.key[0])).toEqual(['b']);
    expect(plan.unreadable.map((stored) => stored.key[0])).toEqual(['e']);
    expect(plan.overLimit).toEqual([]);
    expect(plan.kept.map((stored) => stored.key[0])).toEqual(['a', 'c']);
  });

  it('then removes the oldest until the rest fit the byte limit', () => {
    const plan = planEntryPrune(entries, NOW, 150);
    expect(plan.overLimit.map((stored) => stored.key[0])).toEqual(['a']);
    expect(plan.kept.map((stored) => stored.key[0])).toEqual(['c']);
    expect(planEntryPrune(entries, NOW, 0).kept).toEqual([]);
  });
});

describe('which artifact files prune deletes', () => {
  it('deletes only files no entry uses that are older than the limit', () => {
    const used = digestsOf(planEntryPrune(entries, NOW).kept);
    expect([...used].sort()).toEqual(['d1', 'd3']);
    const blobs = [
      { name: 'd1', size: 300, storedAt: 0 },
      { name: 'd2', size: 200, storedAt: 0 },
      { name: 'd4', size: 5, storedAt: NOW - 60_000 },
    ];
    const gone = unusedBlobs(blobs, used, NOW - HOUR_MS);
    expect(gone.map((blob) => blob.name)).toEqual(['d2']);
  });
});
