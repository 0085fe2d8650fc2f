import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceLogger } from '@river/protocol/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../config.js';
import { SandboxError } from '../errors.js';
import { limitMessage, resolveLimits } from './limits.js';
import { createRunnerRegistry } from './registry.js';

const log = createServiceLogger('sandbox', 'silent');
const workDir = await mkdtemp(join(tmpdir(), 'river-registry-test-'));

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function config(env: Record<string, string>) {
  return loadSandboxConfig({
    NATS_URL: 'nats://127.0.0.1:4999',
    RIVER_WORK_DIR: workDir,
    ...env,
  });
}

describe('the runner registry', () => {
  it('refuses a runner outside RIVER_ALLOWED_RUNNERS instead of using another', async () => {
    const registry = await createRunnerRegistry(
      config({ RIVER_RUNNER: 'process', RIVER_ALLOWED_RUNNERS: 'process' }),
      log,
    );

    const offer = registry.select('bwrap');

    expect(registry.defaultKind).toBe('process');
    expect(offer).toEqual({
      unavailable:
        "The task asks for the bwrap runner, which this sandbox's policy " +
        'does not allow (RIVER_ALLOWED_RUNNERS is process).',
    });
    expect(registry.select(undefined)).toHaveProperty('runner');
  });

  it('does not let tasks ask for the process runner unless it is allowed', async () => {
    const registry = await createRunnerRegistry(
      config({ RIVER_RUNNER: 'bwrap', RIVER_ALLOWED_RUNNERS: 'bwrap' }),
      log,
    ).catch((error: Error) => error);
    if (registry instanceof Error) {
      // bwrap does not work here (nested in another sandbox).
      expect(registry.message).toContain('RIVER_RUNNER is bwrap');
      return;
    }

    expect(registry.select('process')).toHaveProperty('unavailable');
  });

  it('says why a runner it cannot offer is unavailable', async () => {
    const registry = await createRunnerRegistry(
      config({
        RIVER_RUNNER: 'process',
        RIVER_ALLOWED_RUNNERS: 'process,docker',
      }),
      log,
    );

    const offer = registry.select('docker');

    expect(offer).toHaveProperty('unavailable');
    expect('unavailable' in offer && offer.unavailable).toMatch(
      /^The task asks for the docker runner, which this sandbox cannot offer: /,
    );
  });

  it('will not start when the runner its settings name does not work', async () => {
    const starting = createRunnerRegistry(
      config({ RIVER_RUNNER: 'docker' }),
      log,
    );

    await expect(starting).rejects.toBeInstanceOf(SandboxError);
    await expect(starting).rejects.toThrow(/^RIVER_RUNNER is docker, but /);
  });

  it('will not start when the default runner is not allowed', async () => {
    const starting = createRunnerRegistry(
      config({ RIVER_RUNNER: 'process', RIVER_ALLOWED_RUNNERS: 'bwrap' }),
      log,
    );

    await expect(starting).rejects.toThrow(
      /^The default runner is process, but RIVER_ALLOWED_RUNNERS/,
    );
  });
});

describe('task limits', () => {
  const sandbox = {
    memoryMb: 1024,
    processes: 100,
    openFiles: 512,
    diskMb: 2048,
    files: 1000,
  };

  it('are the sandbox ceilings, lowered by the task and never raised', () => {
    expect(resolveLimits({ memoryMb: 256, processes: 500 }, sandbox)).toEqual({
      memoryMb: 256,
      processes: 100,
      openFiles: 512,
      diskMb: 2048,
      files: 1000,
    });
  });

  it('name the limit, its value and where it came from when exceeded', () => {
    expect(limitMessage('memory-limit', { memoryMb: 256 }, sandbox)).toBe(
      'The task used more than its memory limit of 256 MB for all its ' +
        'processes together (limits.memoryMb of the task), so it was stopped.',
    );
    expect(limitMessage('process-limit', { processes: 500 }, sandbox)).toBe(
      'The task tried to run more than its limit of 100 processes and ' +
        'threads at once (the task asked for 500 in limits.processes, ' +
        'capped by the sandbox setting RIVER_TASK_PROCESSES), so it was ' +
        'stopped.',
    );
    expect(limitMessage('disk-limit', undefined, sandbox)).toBe(
      'The task wrote more than its disk limit of 2048 MB into its ' +
        'workspace and /tmp (the sandbox setting RIVER_TASK_DISK_MB), so ' +
        'it was stopped.',
    );
  });
});
