import { readFile } from 'node:fs/promises';
import type { LocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, startTestStack } from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** Peak resident memory of a process, in MiB, from /proc. */
async function peakMemoryMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

describe('a large artifact', () => {
  it('moves 256 MiB between jobs intact while the sandbox streams it', {
    timeout: 180_000,
  }, async () => {
    const result = await river(
      ['run', 'tests/fixtures/big-artifact.ts'],
      stack.natsUrl,
      170_000,
    );
    const sandbox = stack.services.find((s) => s.name === 'sandbox');
    const peak = await peakMemoryMb(sandbox?.child.pid ?? 0);

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/size 268435456 same digest true/);
    // Far below the artifact's size: neither upload nor download held it.
    expect(peak).toBeLessThan(200);
  });
});
