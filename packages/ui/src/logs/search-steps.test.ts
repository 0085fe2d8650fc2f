import { describe, expect, it } from 'vitest';
import { nextHitIndex } from './search-steps.js';

const lines = [10, 20, 30];

describe('stepping through search hits', () => {
  it('starts at the first hit at or below the top of the view', () => {
    expect(nextHitIndex(lines, undefined, 1, 15)).toBe(1);
    expect(nextHitIndex(lines, undefined, 1, 20)).toBe(1);
    expect(nextHitIndex(lines, undefined, 1, 31)).toBe(0);
  });

  it('going up starts at the last hit at or above the given line', () => {
    expect(nextHitIndex(lines, undefined, -1, 25)).toBe(1);
    expect(nextHitIndex(lines, undefined, -1, 5)).toBe(2);
  });

  it('wraps around at either end', () => {
    expect(nextHitIndex(lines, 2, 1, 1)).toBe(0);
    expect(nextHitIndex(lines, 0, -1, 1)).toBe(2);
  });
});
