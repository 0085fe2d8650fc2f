import { describe, expect, it } from 'vitest';
import { checkCacheSetting } from './cache.js';

describe('a cache setting', () => {
  it('takes true, false, and ttlMs and salt', () => {
    expect(checkCacheSetting(true, 'Task make')).toBe(true);
    expect(checkCacheSetting(false, 'Task make')).toBe(false);
    expect(
      checkCacheSetting({ ttlMs: 60_000, salt: 'gcc-12' }, 'Job b'),
    ).toEqual({ ttlMs: 60_000, salt: 'gcc-12' });
  });

  it.each([
    ['yes', 'Task make has cache "yes"; give true, false or { ttlMs, salt }.'],
    [[], 'Task make has cache []; give true, false or { ttlMs, salt }.'],
    [{ ttl: 1 }, 'Task make has cache.ttl, which is no cache setting'],
    [{ ttlMs: -1 }, 'Task make has cache.ttlMs -1; it must be a whole number'],
    [{ salt: 5 }, 'Task make has a cache.salt that is no string.'],
  ])('refuses %j, naming its owner', (setting, message) => {
    expect(() => checkCacheSetting(setting as never, 'Task make')).toThrow(
      message,
    );
  });
});
