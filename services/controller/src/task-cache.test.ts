import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_TTL_MS, resolveCacheSetting } from './task-cache.js';

describe('resolveCacheSetting', () => {
  it('lets the nearest setting win, field by field', () => {
    expect(
      resolveCacheSetting([
        ['Project p', { ttlMs: 5_000, salt: 'a' }],
        ['Job j', undefined],
        ['Task t', { salt: 'b' }],
      ]),
    ).toEqual({ use: true, ttlMs: 5_000, salt: 'b' });
    expect(
      resolveCacheSetting([
        ['Project p', true],
        ['Job j', false],
        ['Task t', undefined],
      ]),
    ).toEqual({ use: false, ttlMs: DEFAULT_CACHE_TTL_MS, salt: '' });
  });

  it.each([
    ['a word', 'yes'],
    ['a list', []],
    ['an unknown field', { ttl: 1 }],
    ['a negative ttlMs', { ttlMs: -1 }],
    ['a salt that is no string', { salt: 5 }],
  ])('refuses %s from job logic, naming its owner', (_what, setting) => {
    expect(() => resolveCacheSetting([['Job build', setting]])).toThrow(
      /^Job build has an invalid cache setting/,
    );
  });
});
