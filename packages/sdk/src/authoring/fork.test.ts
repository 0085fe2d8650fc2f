import { describe, expect, it } from 'vitest';
import { fork, forkSettled } from './fork.js';

/** A branch that records how many branches run at once. */
function tracker() {
  let running = 0;
  let peak = 0;
  const branch = async (item: number) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 2));
    running--;
    if (item < 0) {
      throw new Error(`item ${item} is negative`);
    }
    return item * 10;
  };
  return { branch, peak: () => peak };
}

describe('fork', () => {
  it('returns results in the items’ order and never exceeds its limit', async () => {
    const { branch, peak } = tracker();

    const results = await fork([1, 2, 3, 4, 5, 6, 7], branch, {
      concurrency: 3,
    });

    expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak()).toBe(3);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const branch = async (item: number) => {
      started.push(item);
      if (item === 2) {
        throw new Error('two failed');
      }
      return item;
    };

    await expect(
      fork([1, 2, 3, 4], branch, { concurrency: 1 }),
    ).rejects.toThrow('two failed');
    expect(started).toEqual([1, 2]);
  });

  it('refuses a concurrency below one', async () => {
    await expect(fork([1], async (x) => x, { concurrency: 0 })).rejects.toThrow(
      /concurrency must be a whole number of 1 or more/,
    );
  });
});

describe('forkSettled', () => {
  it('collects every outcome, failures included', async () => {
    const { branch } = tracker();

    const outcomes = await forkSettled([1, -2, 3], branch, { concurrency: 2 });

    expect(outcomes).toEqual([
      { ok: true, value: 10 },
      { ok: false, error: 'item -2 is negative' },
      { ok: true, value: 30 },
    ]);
  });
});

describe('fork edge cases', () => {
  it('returns nothing for no items, with or without a limit', async () => {
    expect(await fork([], async (x: number) => x)).toEqual([]);
    expect(await forkSettled([], async (x: number) => x)).toEqual([]);
  });

  it('collects a thrown value that is not an error', async () => {
    const outcomes = await forkSettled([1, 2], async (item) => {
      throw item === 1 ? Object.create(null) : { code: 42 };
    });

    expect(outcomes).toEqual([
      { ok: false, error: '{}' },
      { ok: false, error: '{"code":42}' },
    ]);
  });
});
