import { ServerUnsupportedError } from '../errors.js';

/**
 * What a connection learnt about its server before River uses it: the
 * fields of the server's INFO, and whether JetStream answers the
 * connection's account.
 */
export interface ServerFacts {
  /** The version the server reports, for example `2.9.10`. */
  version: string;
  /** Where it was reached, for example `nats://127.0.0.1:4222`. */
  address: string;
  /** INFO `jetstream`: whether the server runs JetStream at all. */
  jetstream: boolean;
  /** INFO `headers`: whether the server takes message headers. */
  headers: boolean;
  /** INFO `max_payload`: the largest message it takes, in bytes. */
  maxPayload: number;
  /** INFO `cluster`: whether it is one server of a cluster. */
  clustered: boolean;
  /**
   * Whether `$JS.API.INFO` answers for the connection's account;
   * `undefined` while it has not been asked.
   */
  accountJetStream?: boolean | undefined;
  /** The NATS user the connection authenticated as, when it names one. */
  user?: string | undefined;
  /** The account the server bound the connection to, when it says. */
  account?: string | undefined;
}

/** What River will ask of the server beyond its features. */
export interface ServerNeeds {
  /** Copies of each stream and bucket the connection may create. */
  streamReplicas: number;
  /** The setting that asked for them, as a refusal names it. */
  replicasSetting: string;
}

/** A feature of nats-server that River relies on. */
export interface ServerFeature {
  /** A stable name: the `feature` of the error that refuses a server. */
  id: string;
  /** What River relies on, as a refusal names it. */
  name: string;
  /** The first nats-server release that has it. */
  since: string;
  /** What River uses it for. */
  usedFor: string;
  /** How a connection tells that the server has it. */
  detectedBy: string;
  /**
   * For a feature a server's configuration can turn off: whether it is
   * on, from the server's INFO, and what turns it on.
   */
  enabled?: {
    check(facts: ServerFacts): boolean;
    remedy: string;
  };
}

/**
 * The features of nats-server River relies on, oldest first. Those told
 * by the version alone cannot be turned off once the server has them.
 */
export const SERVER_FEATURES: readonly ServerFeature[] = [
  {
    id: 'jetstream',
    name: 'JetStream',
    since: '2.2.0',
    usedFor: 'every stream, bucket and consumer',
    detectedBy: 'INFO jetstream, then $JS.API.INFO for the account',
    enabled: {
      check: (facts) => facts.jetstream,
      remedy: 'start it with -js (or jetstream {} in its configuration)',
    },
  },
  {
    id: 'headers',
    name: 'message headers',
    since: '2.2.0',
    usedFor: 'Nats-Msg-Id deduplication, trace context, bucket operations',
    detectedBy: 'INFO headers',
    enabled: {
      check: (facts) => facts.headers,
      remedy: 'remove no_header_support from its configuration',
    },
  },
  {
    id: 'subject-sequence-check',
    name: 'compare-and-set writes per subject',
    since: '2.3.1',
    usedFor: 'key-value updates: the log index, cache flights, task states',
    detectedBy: 'version',
  },
  {
    id: 'rollup',
    name: 'rollup headers (Nats-Rollup)',
    since: '2.6.2',
    usedFor: 'key-value purges, object metadata written by River itself',
    detectedBy: 'version',
  },
  {
    id: 'key-value',
    name: 'key-value buckets',
    since: '2.6.2',
    usedFor: 'tasks, cancellations, the log index, secrets, the cache',
    detectedBy: 'version (the client refuses buckets on older servers)',
  },
  {
    id: 'object-store',
    name: 'object stores',
    since: '2.6.3',
    usedFor: 'project bundles and artifacts',
    detectedBy: 'version (the client refuses stores on older servers)',
  },
  {
    id: 'direct-get',
    name: 'direct gets on streams',
    since: '2.9.0',
    usedFor: 'key-value reads, looking up an object without reading it',
    detectedBy: 'version',
  },
  {
    id: 'consumers-api',
    name: 'the JetStream consumers API',
    since: '2.9.4',
    usedFor: 'every pull consumer River reads a stream or store with',
    detectedBy: 'version (the client refuses its consumers below it)',
  },
];

/** The oldest nats-server that has every feature River relies on. */
export const MIN_SERVER_VERSION = SERVER_FEATURES.reduce(
  (newest, feature) =>
    versionAtLeast(newest, feature.since) ? newest : feature.since,
  '0.0.0',
);

/**
 * The `max_payload` River needs, nats-server's default of 1 MiB. Run
 * events and task results are cut to 512 KiB before they are sent, plus
 * their headers; a log query's reply holds up to 512 KiB of chunk data,
 * one more chunk of up to 64 KiB and each chunk's envelope.
 */
export const REQUIRED_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Whether `version` is at least `minimum`, both `major.minor.patch`. A
 * pre-release counts as its release (2.10.0-beta as 2.10.0), as the NATS
 * client counts it: a release's features are in its pre-releases. A
 * version that is not of that form counts as 0.0.0.
 */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = versionParts(version);
  const want = versionParts(minimum);
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) {
      return a > b;
    }
  }
  return true;
}

/** `2.10.0-beta` → [2, 10, 0]. */
function versionParts(version: string): number[] {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return match === null ? [0, 0, 0] : match.slice(1, 4).map(Number);
}

/**
 * The features of {@link SERVER_FEATURES} that nats-server `version`
 * does not have yet, oldest first.
 */
export function featuresMissingIn(version: string): ServerFeature[] {
  return SERVER_FEATURES.filter(
    (feature) => !versionAtLeast(version, feature.since),
  );
}

/**
 * Refuses a server that lacks what River relies on: a feature of
 * {@link SERVER_FEATURES} (by version, then by configuration), JetStream
 * for the connection's account (once asked), a `max_payload` of
 * {@link REQUIRED_MAX_PAYLOAD_BYTES}, or clustering when `needs` asks for
 * more than one copy of each stream.
 *
 * @throws ServerUnsupportedError naming the first thing missing, the
 *   version or setting that brings it, and the server's version and
 *   address.
 */
export function checkServer(facts: ServerFacts, needs: ServerNeeds): void {
  const server = `nats-server ${facts.version} at ${facts.address}`;
  const context = { serverVersion: facts.version, server: facts.address };

  const [missing] = featuresMissingIn(facts.version);
  if (missing !== undefined) {
    const overall =
      missing.since === MIN_SERVER_VERSION
        ? ''
        : `; River needs nats-server ${MIN_SERVER_VERSION} or later`;
    throw new ServerUnsupportedError(
      missing.id,
      `${server} lacks ${missing.name} (needs ${missing.since} or ` +
        `later)${overall}.`,
      { ...context, requiredVersion: missing.since },
    );
  }

  for (const feature of SERVER_FEATURES) {
    if (feature.enabled !== undefined && !feature.enabled.check(facts)) {
      throw new ServerUnsupportedError(
        feature.id,
        `${server} has ${feature.name} turned off, which River needs ` +
          `for ${feature.usedFor}: ${feature.enabled.remedy}.`,
        context,
      );
    }
  }

  if (facts.accountJetStream === false) {
    throw new ServerUnsupportedError(
      'jetstream-account',
      `${server} runs JetStream, but not for ${accountOf(facts)}: ` +
        "enable it for that account (jetstream: enabled in the account's " +
        "block of the server's configuration), or connect as a user of " +
        'an account that has it.',
      context,
    );
  }

  if (facts.maxPayload < REQUIRED_MAX_PAYLOAD_BYTES) {
    throw new ServerUnsupportedError(
      'max-payload',
      `${server} takes messages of at most ${facts.maxPayload} bytes ` +
        `(max_payload), but River sends up to ` +
        `${REQUIRED_MAX_PAYLOAD_BYTES}: set max_payload to 1MB or more in ` +
        "the server's configuration.",
      context,
    );
  }

  if (needs.streamReplicas > 1 && !facts.clustered) {
    throw new ServerUnsupportedError(
      'clustering',
      `${needs.replicasSetting} is ${needs.streamReplicas}, but ${server} ` +
        'is not part of a cluster, so it keeps one copy of each stream: ' +
        `set ${needs.replicasSetting} to 1, or connect to a cluster of ` +
        `at least ${needs.streamReplicas} servers.`,
      context,
    );
  }
}

/** The connection's account, named as well as the server lets us. */
function accountOf(facts: ServerFacts): string {
  const user = facts.user === undefined ? '' : `NATS user '${facts.user}'`;
  if (facts.account !== undefined) {
    return `account ${facts.account}${user === '' ? '' : ` of ${user}`}`;
  }
  return user === ''
    ? 'the account that connections without a user are bound to'
    : `the account of ${user}`;
}
