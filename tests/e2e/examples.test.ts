import type { LocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, runIdOf, startTestStack } from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('the example pipelines', () => {
  it('builds, tests and packages the C library under every flag set', async () => {
    const result = await river(
      ['run', 'examples/clib/pipeline.ts'],
      stack.natsUrl,
    );

    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const flags of ['debug', 'release', 'asan', 'portable']) {
      expect(result.stdout).toMatch(
        new RegExp(`test-${flags}: 21 tests passed`),
      );
    }
    expect(result.stdout).toMatch(
      /package: dist\/libfixed-[\d.]+\.tar\.gz sha256 [0-9a-f]{64}/,
    );
    expect(result.stdout).toMatch(/run succeeded/);
  });

  it('runs the release-notes pipeline written from the authoring guide alone', async () => {
    const beta = await river(
      ['run', 'examples/release-notes/pipeline.ts', '--param', 'channel=beta'],
      stack.natsUrl,
    );
    const stable = await river(
      ['run', 'examples/release-notes/pipeline.ts'],
      stack.natsUrl,
    );

    expect(beta.code, beta.stdout + beta.stderr).toBe(0);
    expect(beta.stdout).toMatch(/collect: read 6 changes: 4 features, 2 fixes/);
    expect(beta.stdout).toMatch(/- announce skipped .*its condition was false/);
    expect(beta.stdout).toMatch(/✓ cleanup succeeded/);
    expect(stable.code, stable.stdout + stable.stderr).toBe(0);
    expect(stable.stdout).toMatch(/announce: announcing 4 packages/);
  });

  it('keeps each build’s compiler output in the log-collector', async () => {
    const run = await river(
      ['run', 'examples/clib/pipeline.ts'],
      stack.natsUrl,
    );
    const runId = runIdOf(run.stdout);

    const logs = await river(['logs', runId, 'build-release-1'], stack.natsUrl);

    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/-O2 -DNDEBUG/);
  });

  it('runs River’s own lint, type check and unit tests as parallel jobs', {
    timeout: 600_000,
  }, async () => {
    const result = await river(
      ['run', 'examples/self-check/pipeline.ts'],
      stack.natsUrl,
      590_000,
    );

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ lint succeeded/);
    expect(result.stdout).toMatch(/✓ typecheck succeeded/);
    expect(result.stdout).toMatch(/unit-tests: [1-9]\d* unit tests passed/);
  });
});
