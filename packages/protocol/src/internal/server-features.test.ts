import { describe, expect, it } from 'vitest';
import { ServerUnsupportedError } from '../errors.js';
import {
  checkServer,
  featuresMissingIn,
  MIN_SERVER_VERSION,
  REQUIRED_MAX_PAYLOAD_BYTES,
  SERVER_FEATURES,
  type ServerFacts,
  versionAtLeast,
} from './server-features.js';

const ADDRESS = 'nats://127.0.0.1:4555';

/** A server that has everything River relies on, with `changes`. */
function facts(changes: Partial<ServerFacts> = {}): ServerFacts {
  return {
    version: '2.9.10',
    address: ADDRESS,
    jetstream: true,
    headers: true,
    maxPayload: REQUIRED_MAX_PAYLOAD_BYTES,
    clustered: false,
    accountJetStream: true,
    ...changes,
  };
}

const ONE_COPY = {
  streamReplicas: 1,
  replicasSetting: 'RIVER_STREAM_REPLICAS',
};

/** The error `checkServer` throws for `server`, or undefined. */
function refusal(
  server: ServerFacts,
  needs = ONE_COPY,
): ServerUnsupportedError | undefined {
  try {
    checkServer(server, needs);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ServerUnsupportedError);
    return error as ServerUnsupportedError;
  }
}

describe('the server version table', () => {
  it('asks for the newest release any feature needs: 2.9.4', () => {
    expect(MIN_SERVER_VERSION).toBe('2.9.4');
    const newest = SERVER_FEATURES.map((feature) => feature.since).sort(
      (a, b) => (versionAtLeast(a, b) ? 1 : -1),
    );
    expect(newest.at(-1)).toBe(MIN_SERVER_VERSION);
  });

  it('finds everything newer than JetStream itself missing on 2.2.0', () => {
    expect(featuresMissingIn('2.2.0').map((feature) => feature.id)).toEqual([
      'subject-sequence-check',
      'rollup',
      'key-value',
      'object-store',
      'direct-get',
      'consumers-api',
    ]);
  });

  it('finds nothing missing on 2.9.10, 2.10.0-beta or 2.11.1', () => {
    expect(featuresMissingIn('2.9.10')).toEqual([]);
    expect(featuresMissingIn('2.10.0-beta')).toEqual([]);
    expect(featuresMissingIn('2.11.1')).toEqual([]);
  });

  it('compares versions by number, a pre-release as its release', () => {
    expect(versionAtLeast('2.9.10', '2.9.4')).toBe(true);
    expect(versionAtLeast('2.10.0', '2.9.10')).toBe(true);
    expect(versionAtLeast('2.9.3', '2.9.4')).toBe(false);
    expect(versionAtLeast('2.10.0-beta', '2.10.0')).toBe(true);
    expect(versionAtLeast('2.10.0-beta', '2.10.1')).toBe(false);
    expect(versionAtLeast('2.11.1', '2.11.0')).toBe(true);
    expect(versionAtLeast('v2.11.1', '2.11.1')).toBe(true);
    expect(versionAtLeast('unknown', '2.2.0')).toBe(false);
  });
});

describe('a server River refuses', () => {
  it('is too old: the error names the first feature it lacks', () => {
    const error = refusal(facts({ version: '2.8.4' }));

    expect(error?.message).toBe(
      `nats-server 2.8.4 at ${ADDRESS} lacks direct gets on streams ` +
        '(needs 2.9.0 or later); River needs nats-server 2.9.4 or later.',
    );
    expect(error).toMatchObject({
      feature: 'direct-get',
      requiredVersion: '2.9.0',
      serverVersion: '2.8.4',
      server: ADDRESS,
    });
  });

  it('is 2.2.0: it lacks compare-and-set writes per subject', () => {
    expect(refusal(facts({ version: '2.2.0' }))?.message).toMatch(
      /^nats-server 2\.2\.0 at \S+ lacks compare-and-set writes per subject \(needs 2\.3\.1 or later\)/,
    );
  });

  it('is 2.9.3: it lacks the consumers API, and says no more', () => {
    expect(refusal(facts({ version: '2.9.3' }))?.message).toBe(
      `nats-server 2.9.3 at ${ADDRESS} lacks the JetStream consumers API ` +
        '(needs 2.9.4 or later).',
    );
  });

  it('runs without JetStream', () => {
    const error = refusal(
      facts({ jetstream: false, accountJetStream: undefined }),
    );

    expect(error?.feature).toBe('jetstream');
    expect(error?.message).toMatch(
      /^nats-server 2\.9\.10 at \S+ has JetStream turned off, .*start it with -js/,
    );
  });

  it('takes no message headers', () => {
    const error = refusal(facts({ headers: false }));

    expect(error?.feature).toBe('headers');
    expect(error?.message).toMatch(/has message headers turned off/);
    expect(error?.message).toMatch(/no_header_support/);
  });

  it("runs JetStream, but not for the connection's account", () => {
    const named = refusal(
      facts({ accountJetStream: false, user: 'sdk', account: 'PLAIN' }),
    );
    const userOnly = refusal(facts({ accountJetStream: false, user: 'sdk' }));
    const anonymous = refusal(facts({ accountJetStream: false }));

    expect(named?.feature).toBe('jetstream-account');
    expect(named?.message).toMatch(
      /runs JetStream, but not for account PLAIN of NATS user 'sdk': enable it/,
    );
    expect(userOnly?.message).toMatch(/not for the account of NATS user 'sdk'/);
    expect(anonymous?.message).toMatch(
      /not for the account that connections without a user are bound to/,
    );
  });

  it('takes smaller messages than River sends', () => {
    const error = refusal(facts({ maxPayload: 256 * 1024 }));

    expect(error?.feature).toBe('max-payload');
    expect(error?.message).toBe(
      `nats-server 2.9.10 at ${ADDRESS} takes messages of at most 262144 ` +
        'bytes (max_payload), but River sends up to 1048576: set ' +
        "max_payload to 1MB or more in the server's configuration.",
    );
  });

  it('is not clustered, while streams are to be kept three times', () => {
    const needs = {
      streamReplicas: 3,
      replicasSetting: 'RIVER_STREAM_REPLICAS',
    };

    const error = refusal(facts(), needs);

    expect(error?.feature).toBe('clustering');
    expect(error?.message).toMatch(
      /^RIVER_STREAM_REPLICAS is 3, but nats-server 2\.9\.10 at \S+ is not part of a cluster/,
    );
    expect(refusal(facts({ clustered: true }), needs)).toBeUndefined();
  });
});

describe('a server River takes', () => {
  it('has every feature, JetStream for the account and 1 MiB messages', () => {
    expect(refusal(facts())).toBeUndefined();
    expect(refusal(facts({ version: '2.11.1', maxPayload: 8 << 20 }))).toBe(
      undefined,
    );
  });

  it('is checked before its account is asked about', () => {
    expect(refusal(facts({ accountJetStream: undefined }))).toBeUndefined();
  });
});
