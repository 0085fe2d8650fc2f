import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@river/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { river, runIdOf, startTestStack } from '../helpers/river.js';

let storeDir: string | undefined;
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  if (storeDir !== undefined) {
    await rm(storeDir, { recursive: true, force: true });
  }
});

describe('stored logs', () => {
  it('are still served after every service and nats-server restart', async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'river-durable-'));
    stack = await startTestStack({ storeDir });
    const run = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);
    const runId = runIdOf(run.stdout);
    const before = await river(['logs', runId], stack.natsUrl);

    await stack.stop();
    stack = await startTestStack({ storeDir });
    const after = await river(['logs', runId], stack.natsUrl);

    expect(run.code).toBe(0);
    expect(before.stdout).toMatch(/hello from river\n/);
    expect(before.stdout).toMatch(/RIVER\n/);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
  });
});
