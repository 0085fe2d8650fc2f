import { describe, expect, it } from 'vitest';
import { Type } from '../typebox.js';
import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_URL_SETTING,
  readSettings,
  type SettingSources,
} from './settings.js';

const Settings = Type.Object({
  natsUrl: Type.String({ minLength: 1 }),
  slots: Type.Integer({ minimum: 1, maximum: 8 }),
  logLevel: LogLevel,
});

const SOURCES: SettingSources<Type.Static<typeof Settings>> = {
  natsUrl: NATS_URL_SETTING,
  slots: {
    variable: 'SLOTS',
    expected: 'a whole number from 1 to 8',
    kind: 'integer',
    default: 2,
  },
  logLevel: LOG_LEVEL_SETTING,
};

/** Reads the test settings from `env`. */
function read(env: NodeJS.ProcessEnv) {
  return readSettings(Settings, SOURCES, env);
}

/** A SettingsError that names `variable` and says `message`. */
function refusal(variable: string, message: string) {
  return expect.objectContaining({
    name: 'SettingsError',
    code: 'INVALID_CONFIG',
    variable,
    message,
  });
}

describe('settings from the environment', () => {
  it('reads each variable and fills in the defaults of unset ones', () => {
    expect(read({ NATS_URL: 'nats://a' })).toEqual({
      natsUrl: 'nats://a',
      slots: 2,
      logLevel: 'info',
    });
    expect(
      read({ NATS_URL: 'nats://a', SLOTS: ' 8 ', LOG_LEVEL: 'silent' }),
    ).toEqual({ natsUrl: 'nats://a', slots: 8, logLevel: 'silent' });
  });

  it('treats a blank variable as unset', () => {
    const settings = read({ NATS_URL: 'nats://a', SLOTS: '  ', LOG_LEVEL: '' });

    expect(settings).toMatchObject({ slots: 2, logLevel: 'info' });
  });

  it.each(['two', '1.5', '0', '9', '0x4'])(
    'refuses SLOTS=%j with the value it was given',
    (value) => {
      expect(() => read({ NATS_URL: 'nats://a', SLOTS: value })).toThrow(
        refusal(
          'SLOTS',
          `SLOTS is "${value}", but it must be a whole number from 1 to 8.`,
        ),
      );
    },
  );

  it.each([
    [
      { NATS_URL: ' ', LOG_LEVEL: 'loud' },
      'NATS_URL',
      'NATS_URL is not set: it must be a NATS URL such as ' +
        'nats://127.0.0.1:4222.',
    ],
    [
      { NATS_URL: 'nats://a', LOG_LEVEL: 'loud' },
      'LOG_LEVEL',
      'LOG_LEVEL is "loud", but it must be one of fatal, error, warn, ' +
        'info, debug, trace, silent.',
    ],
  ])(
    'names the first bad variable in %j and what it must be',
    (env, variable, message) => {
      expect(() => read(env)).toThrow(refusal(variable, message));
    },
  );
});
