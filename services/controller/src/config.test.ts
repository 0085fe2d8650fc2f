import { describe, expect, it } from 'vitest';
import { loadControllerConfig } from './config.js';

const NATS_URL = 'nats://127.0.0.1:4999';

describe('controller configuration', () => {
  it('fills in defaults when only NATS_URL is set', () => {
    expect(loadControllerConfig({ NATS_URL })).toEqual({
      natsUrl: NATS_URL,
      controllerId: expect.stringMatching(`^controller-.+-${process.pid}$`),
      runMemoryLimitMb: 256,
      runCpuLimitMs: 300_000,
      runMaxTasks: 20_000,
      jobSandbox: 'auto',
      jobStallLimitMs: 30_000,
      runLeaseMs: 10_000,
      cacheSalt: '',
      logLevel: 'info',
    });
  });

  it('reads every setting from its variable', () => {
    expect(
      loadControllerConfig({
        NATS_URL,
        RIVER_CONTROLLER_ID: 'controller-a',
        RIVER_RUN_MEMORY_MB: '512',
        RIVER_RUN_CPU_MS: '2000',
        RIVER_RUN_MAX_TASKS: '5',
        RIVER_JOB_SANDBOX: 'process',
        RIVER_JOB_STALL_MS: '1000',
        RIVER_RUN_LEASE_MS: '3000',
        RIVER_CACHE_SALT: 'compiler-12',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      natsUrl: NATS_URL,
      controllerId: 'controller-a',
      runMemoryLimitMb: 512,
      runCpuLimitMs: 2_000,
      runMaxTasks: 5,
      jobSandbox: 'process',
      jobStallLimitMs: 1_000,
      runLeaseMs: 3_000,
      cacheSalt: 'compiler-12',
      logLevel: 'debug',
    });
  });

  it('names NATS_URL when it is missing', () => {
    expect(() => loadControllerConfig({})).toThrow(
      expect.objectContaining({
        name: 'SettingsError',
        variable: 'NATS_URL',
        message: expect.stringMatching(/^NATS_URL is not set: it must be/),
      }),
    );
  });

  it.each([
    [
      { RIVER_RUN_MEMORY_MB: '8' },
      'RIVER_RUN_MEMORY_MB is "8", but it must be a whole number of MiB, ' +
        '16 or more.',
    ],
    [
      { RIVER_JOB_STALL_MS: 'soon' },
      'RIVER_JOB_STALL_MS is "soon", but it must be a whole number of ' +
        'milliseconds, 100 or more.',
    ],
    [
      { RIVER_JOB_SANDBOX: 'docker' },
      'RIVER_JOB_SANDBOX is "docker", but it must be one of auto, bwrap, ' +
        'process.',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL is "loud", but it must be one of fatal, error, warn, info, ' +
        'debug, trace, silent.',
    ],
  ])('refuses %j, saying what it must be', (env, message) => {
    const [variable] = Object.keys(env);

    expect(() => loadControllerConfig({ NATS_URL, ...env })).toThrow(
      expect.objectContaining({ variable, message }),
    );
  });
});
