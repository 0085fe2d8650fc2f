import { describe, expect, it } from 'vitest';
import { describeSubject } from './nats-access.js';
import { natsCredentialsFromEnv } from './settings.js';

describe('NATS credentials from the environment', () => {
  it('are none when no variable is set', () => {
    expect(natsCredentialsFromEnv({})).toBeUndefined();
  });

  it('pair the user with its one secret', () => {
    expect(
      natsCredentialsFromEnv({
        RIVER_NATS_USER: 'controller',
        RIVER_NATS_NKEY_SEED_FILE: '/etc/river/controller.nk',
      }),
    ).toEqual({ user: 'controller', nkeySeedFile: '/etc/river/controller.nk' });
    expect(
      natsCredentialsFromEnv({
        RIVER_NATS_USER: 'sdk',
        RIVER_NATS_PASSWORD: 'secret',
      }),
    ).toEqual({ user: 'sdk', password: 'secret' });
  });

  it('refuse a secret without a user, naming the variables', () => {
    expect(() =>
      natsCredentialsFromEnv({ RIVER_NATS_PASSWORD: 'secret' }),
    ).toThrow(
      expect.objectContaining({
        variable: 'RIVER_NATS_USER',
        message: expect.stringMatching(
          /RIVER_NATS_USER is not set, but RIVER_NATS_PASSWORD is/,
        ),
      }),
    );
  });

  it('refuse a user without a secret, or with two', () => {
    expect(() => natsCredentialsFromEnv({ RIVER_NATS_USER: 'sdk' })).toThrow(
      /no credentials are set/,
    );
    expect(() =>
      natsCredentialsFromEnv({
        RIVER_NATS_USER: 'sdk',
        RIVER_NATS_PASSWORD: 'secret',
        RIVER_NATS_CREDS: '/etc/river/sdk.creds',
      }),
    ).toThrow(/RIVER_NATS_PASSWORD and RIVER_NATS_CREDS are both set/);
  });

  it('refuse a user name that cannot be a reply prefix', () => {
    expect(() =>
      natsCredentialsFromEnv({
        RIVER_NATS_USER: 'a.b',
        RIVER_NATS_PASSWORD: 'secret',
      }),
    ).toThrow(/RIVER_NATS_USER is "a.b"/);
  });
});

describe('a refused subject, in words', () => {
  it('says what the JetStream call would have done', () => {
    expect(
      describeSubject(
        'publish',
        '$JS.API.CONSUMER.MSG.NEXT.RIVER_DISPATCH.sandbox-gpu',
      ),
    ).toBe('pull messages from consumer sandbox-gpu of stream RIVER_DISPATCH');
    expect(
      describeSubject(
        'publish',
        '$JS.API.CONSUMER.CREATE.RIVER_EVENTS.abc_1.river.v1.events.>',
      ),
    ).toBe(
      'create consumer abc_1 on stream RIVER_EVENTS for river.v1.events.>',
    );
    expect(describeSubject('publish', '$KV.river-tasks.run-1.a-1')).toBe(
      'write key run-1.a-1 of bucket river-tasks',
    );
    expect(describeSubject('publish', 'river.v1.run.submit')).toBe(
      'publish to river.v1.run.submit',
    );
    expect(describeSubject('subscribe', 'river.v1.log.query')).toBe(
      'receive messages on river.v1.log.query',
    );
  });
});
