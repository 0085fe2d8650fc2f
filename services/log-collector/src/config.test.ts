import { describe, expect, it } from 'vitest';
import { loadLogCollectorConfig } from './config.js';
import { ConfigError } from './errors.js';

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadLogCollectorConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('log-collector configuration', () => {
  it('reads the settings and fills in defaults', () => {
    expect(
      loadLogCollectorConfig({ NATS_URL: 'nats://10.0.0.1:4222' }),
    ).toEqual({
      natsUrl: 'nats://10.0.0.1:4222',
      logLevel: 'info',
      retentionDays: 30,
      streamReplicas: 1,
    });
    expect(
      loadLogCollectorConfig({
        NATS_URL: 'nats://a:4222',
        LOG_LEVEL: 'debug',
        RIVER_RETENTION_DAYS: '7',
        RIVER_STREAM_REPLICAS: '3',
      }),
    ).toEqual({
      natsUrl: 'nats://a:4222',
      logLevel: 'debug',
      retentionDays: 7,
      streamReplicas: 3,
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
    for (const replicas of ['0', '6', 'three']) {
      expect(
        failure({ ...base, RIVER_STREAM_REPLICAS: replicas }).variable,
      ).toBe('RIVER_STREAM_REPLICAS');
    }
  });
});
