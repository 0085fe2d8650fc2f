import { describe, expect, it } from 'vitest';
import { announcedUnderItsPool } from './fleet.js';

describe('a sandbox announcement', () => {
  it('counts when its key is under its own pool', () => {
    expect(announcedUnderItsPool('gpu.host-1', { pool: 'gpu' })).toBe(true);
    expect(announcedUnderItsPool('gpu.a_b_c', { pool: 'gpu' })).toBe(true);
  });

  it('is ignored under the keys of another pool, which may not place for it', () => {
    expect(announcedUnderItsPool('cpu.evil', { pool: 'gpu' })).toBe(false);
    expect(announcedUnderItsPool('gpu-x.evil', { pool: 'gpu' })).toBe(false);
    expect(announcedUnderItsPool('gpu', { pool: 'gpu' })).toBe(false);
  });
});
