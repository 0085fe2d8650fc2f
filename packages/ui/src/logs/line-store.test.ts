import { describe, expect, it } from 'vitest';
import { LineStore } from './line-store.js';

describe('the line store', () => {
  it('holds lines across block edges and names the blocks it misses', () => {
    const store = new LineStore(10, 5);
    store.put(8, ['h', 'i', 'j', 'k', 'l']);
    expect(store.line(8)).toBe('h');
    expect(store.line(12)).toBe('l');
    expect(store.line(13)).toBeUndefined();
    expect(store.missingBlocks(8, 12)).toEqual([]);
    expect(store.missingBlocks(1, 25)).toEqual([0, 1, 2]);
  });

  it('drops the least recently used block past its capacity', () => {
    const store = new LineStore(10, 2);
    store.put(1, ['a']);
    store.put(11, ['b']);
    store.missingBlocks(1, 1);
    store.put(21, ['c']);
    expect(store.line(1)).toBe('a');
    expect(store.line(11)).toBeUndefined();
    expect(store.line(21)).toBe('c');
    expect(store.size).toBe(2);
  });
});
