import { describe, expect, it } from 'vitest';
import {
  byteSizeOption,
  cacheOptions,
  UsageError,
  untrustedOption,
} from './options.js';

const none = { json: false, all: false };

describe('river run --untrusted', () => {
  it('takes a scope of letters, digits, - and _, at most 64', () => {
    expect(untrustedOption('pr-1234_b')).toBe('pr-1234_b');
    expect(untrustedOption('x'.repeat(64))).toBe('x'.repeat(64));
    for (const bad of ['', 'pr.12', 'a b', 'x'.repeat(65), 'pr/1']) {
      expect(() => untrustedOption(bad)).toThrow(UsageError);
    }
  });
});

describe('river cache options', () => {
  it('sizes --max-bytes in bytes or in binary units', () => {
    expect(byteSizeOption('1000', '--max-bytes')).toBe(1_000);
    expect(byteSizeOption('500M', '--max-bytes')).toBe(500 * 1_024 ** 2);
    expect(byteSizeOption('2GiB', '--max-bytes')).toBe(2 * 1_024 ** 3);
    expect(() => byteSizeOption('lots', '--max-bytes')).toThrow(
      /--max-bytes takes a size in bytes/,
    );
  });

  it('has rm delete by key prefix, scope or --all, and checks them', () => {
    expect(cacheOptions('rm', 'AB12', none).selection).toMatchObject({
      keyPrefix: 'ab12',
    });
    expect(
      cacheOptions('rm', undefined, { ...none, scope: 'pr-12' }).selection,
    ).toMatchObject({ scope: 'untrusted.pr-12' });
    expect(
      cacheOptions('rm', undefined, { ...none, scope: 'trusted' }).selection,
    ).toMatchObject({ scope: 'trusted' });
    expect(() => cacheOptions('rm', undefined, none)).toThrow(
      /needs a key prefix/,
    );
    expect(() => cacheOptions('rm', 'ab', { ...none, all: true })).toThrow(
      /--all deletes every entry/,
    );
    expect(() => cacheOptions('rm', 'xyz', none)).toThrow(/hex digits/);
  });

  it('refuses options of another action', () => {
    expect(() => cacheOptions('ls', 'ab', none)).toThrow(
      'river cache ls takes no key prefix.',
    );
    expect(() =>
      cacheOptions('stats', undefined, { ...none, 'max-bytes': '1' }),
    ).toThrow('river cache stats takes no --max-bytes.');
    expect(
      cacheOptions('prune', undefined, {
        ...none,
        'max-bytes': '1K',
        'blob-min-age-days': '0',
      }),
    ).toMatchObject({ maxBytes: 1_024, blobMinAgeDays: 0 });
  });
});
