import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSandboxConfig } from './config.js';
import { ConfigError } from './errors.js';

const NATS_URL = 'nats://127.0.0.1:4999';

describe('sandbox configuration', () => {
  it('fills in defaults when only NATS_URL is set', () => {
    const config = loadSandboxConfig({ NATS_URL });

    expect(config).toMatchObject({
      natsUrl: NATS_URL,
      pool: 'default',
      slots: 2,
      workDir: join(tmpdir(), 'river-sandbox'),
      logLevel: 'info',
      taskLostMs: 30_000,
      drainGraceMs: 20_000,
    });
    expect(config.sandboxId).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('reads every setting from its variable', () => {
    const config = loadSandboxConfig({
      NATS_URL,
      RIVER_POOL: 'gpu_2',
      RIVER_SLOTS: '8',
      RIVER_WORK_DIR: '/var/lib/river',
      RIVER_SANDBOX_ID: 'box-1',
      LOG_LEVEL: 'debug',
      RIVER_MAX_OUTPUT_BYTES: '1048576',
      RIVER_TASK_LOST_MS: '3000',
      RIVER_DRAIN_GRACE_MS: '0',
    });

    expect(config).toEqual({
      natsUrl: NATS_URL,
      pool: 'gpu_2',
      slots: 8,
      workDir: '/var/lib/river',
      sandboxId: 'box-1',
      logLevel: 'debug',
      maxOutputBytes: 1_048_576,
      taskLostMs: 3_000,
      drainGraceMs: 0,
      taskMemoryMb: 4_096,
      taskProcesses: 1_024,
      taskOpenFiles: 4_096,
      taskDiskMb: 10_240,
      taskFiles: 100_000,
    });
  });

  it('resolves a relative work directory', () => {
    const config = loadSandboxConfig({ NATS_URL, RIVER_WORK_DIR: 'work' });

    expect(config.workDir).toBe(resolve('work'));
  });

  it('says what a missing or bad variable must hold', () => {
    expect(() => loadSandboxConfig({})).toThrow(
      'NATS_URL is not set: it must be a NATS URL such as ' +
        'nats://127.0.0.1:4222.',
    );
    expect(() => loadSandboxConfig({ NATS_URL, RIVER_SLOTS: 'two' })).toThrow(
      'RIVER_SLOTS is "two", but it must be a whole number from 1 to 1024.',
    );
  });

  it.each([
    [{}, 'NATS_URL'],
    [{ NATS_URL, RIVER_POOL: 'a.b' }, 'RIVER_POOL'],
    [{ NATS_URL, RIVER_SLOTS: 'two' }, 'RIVER_SLOTS'],
    [{ NATS_URL, RIVER_SLOTS: '0' }, 'RIVER_SLOTS'],
    [{ NATS_URL, RIVER_SLOTS: '1.5' }, 'RIVER_SLOTS'],
    [{ NATS_URL, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NATS_URL, RIVER_TASK_LOST_MS: '999' }, 'RIVER_TASK_LOST_MS'],
    [{ NATS_URL, RIVER_TASK_LOST_MS: '3s' }, 'RIVER_TASK_LOST_MS'],
    [{ NATS_URL, RIVER_DRAIN_GRACE_MS: '-1' }, 'RIVER_DRAIN_GRACE_MS'],
  ])('names the bad variable in %j', (env, variable) => {
    let error: unknown;
    try {
      loadSandboxConfig(env);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
  });
});
