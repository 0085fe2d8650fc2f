import { describe, expect, it } from 'vitest';
import { loadSchedulerConfig } from './config.js';
import { ConfigError } from './errors.js';

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadSchedulerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('scheduler configuration', () => {
  it('reads the settings and fills in defaults', () => {
    expect(loadSchedulerConfig({ NATS_URL: 'nats://10.0.0.1:4222' })).toEqual({
      natsUrl: 'nats://10.0.0.1:4222',
      logLevel: 'info',
      retentionDays: 30,
      taskTtlDays: 7,
      ackWaitMs: 30_000,
      queueAhead: 2,
    });
    expect(
      loadSchedulerConfig({
        NATS_URL: 'nats://a:4222',
        LOG_LEVEL: 'debug',
        RIVER_RETENTION_DAYS: '7',
        RIVER_TASK_TTL_DAYS: '2',
        RIVER_SCHEDULER_ACK_WAIT_MS: '2000',
        RIVER_QUEUE_AHEAD: '3',
      }),
    ).toEqual({
      natsUrl: 'nats://a:4222',
      logLevel: 'debug',
      retentionDays: 7,
      taskTtlDays: 2,
      ackWaitMs: 2_000,
      queueAhead: 3,
    });
  });

  it('names NATS_URL when it is missing', () => {
    const error = failure({});
    expect(error.variable).toBe('NATS_URL');
    expect(error.message).toMatch(/^NATS_URL is not set/);
  });

  it('names the variable whose value is invalid', () => {
    const base = { NATS_URL: 'nats://a:4222' };
    expect(failure({ ...base, LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
    const days = failure({ ...base, RIVER_RETENTION_DAYS: 'ten' });
    expect(days.variable).toBe('RIVER_RETENTION_DAYS');
    expect(days.message).toContain('"ten"');
    expect(failure({ ...base, RIVER_RETENTION_DAYS: '0' }).variable).toBe(
      'RIVER_RETENTION_DAYS',
    );
    expect(failure({ ...base, RIVER_TASK_TTL_DAYS: '0' }).variable).toBe(
      'RIVER_TASK_TTL_DAYS',
    );
    // Past a minute, a redelivery could fall out of the duplicate window.
    const wait = failure({ ...base, RIVER_SCHEDULER_ACK_WAIT_MS: '120000' });
    expect(wait.variable).toBe('RIVER_SCHEDULER_ACK_WAIT_MS');
    expect(wait.message).toContain('from 1000 to 60000');
  });
});
