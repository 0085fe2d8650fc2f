import { describe, expect, it } from 'vitest';
import {
  contentOffset,
  offsetOfLine,
  scrollTopFor,
  spacerHeight,
  visibleLines,
} from './scroll-geometry.js';

const small = { lineHeight: 20, totalLines: 1_000, viewportHeight: 400 };
const huge = { lineHeight: 20, totalLines: 1_000_000, viewportHeight: 400 };

describe('the scroll geometry of a log', () => {
  it('maps scroll position to content one to one below the limit', () => {
    expect(spacerHeight(small)).toBe(20_000);
    expect(contentOffset(small, 1_234)).toBe(1_234);
    expect(scrollTopFor(small, 1_234)).toBe(1_234);
  });

  it('scales a log taller than the limit into it', () => {
    expect(spacerHeight(huge)).toBe(15_000_000);
    const end = spacerHeight(huge) - huge.viewportHeight;
    expect(contentOffset(huge, end)).toBe(20_000_000 - 400);
    expect(contentOffset(huge, 0)).toBe(0);
    const offset = offsetOfLine(huge, 500_000);
    expect(contentOffset(huge, scrollTopFor(huge, offset))).toBeCloseTo(
      offset,
      3,
    );
  });

  it('names the lines in view, 1-based', () => {
    expect(visibleLines(small, 0)).toEqual({ first: 1, last: 20 });
    expect(visibleLines(small, 30)).toEqual({ first: 2, last: 22 });
    const last = visibleLines(small, 20_000 - 400);
    expect(last).toEqual({ first: 981, last: 1_000 });
  });

  it('puts a linked line below some context, within the range', () => {
    expect(offsetOfLine(small, 100, 5)).toBe(94 * 20);
    expect(offsetOfLine(small, 2, 5)).toBe(0);
    expect(offsetOfLine(small, 1_000, 5)).toBe(20_000 - 400);
  });
});
