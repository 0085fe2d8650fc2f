import { describe, expect, it } from 'vitest';
import { extendSelection, formatLineHash, parseLineHash } from './line-hash.js';

describe('line links in the URL hash', () => {
  it('reads one line and ranges in either order', () => {
    expect(parseLineHash('#L820')).toEqual({ start: 820, end: 820 });
    expect(parseLineHash('#L820-L830')).toEqual({ start: 820, end: 830 });
    expect(parseLineHash('#L830-L820')).toEqual({ start: 820, end: 830 });
  });

  it('ignores hashes that name no line', () => {
    expect(parseLineHash('')).toBeUndefined();
    expect(parseLineHash('#token=abc')).toBeUndefined();
    expect(parseLineHash('#L0')).toBeUndefined();
  });

  it('writes one line without a range', () => {
    expect(formatLineHash({ start: 5, end: 5 })).toBe('#L5');
    expect(formatLineHash({ start: 5, end: 9 })).toBe('#L5-L9');
  });

  it('a shift-click extends from the selection start', () => {
    const current = { start: 10, end: 10 };
    expect(extendSelection(current, 4, true)).toEqual({ start: 4, end: 10 });
    expect(extendSelection(current, 14, true)).toEqual({ start: 10, end: 14 });
    expect(extendSelection(current, 14, false)).toEqual({ start: 14, end: 14 });
  });
});
