import { readFile } from 'node:fs/promises';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from '@nats-io/transport-node';
import { watchConnection } from './health.js';
import {
  accessError,
  NatsAccessError,
  permissionViolation,
} from './nats-access.js';
import { checkServer, type ServerFacts } from './server-features.js';
import type { NatsCredentials } from './settings.js';
import { STREAM_REPLICAS_VARIABLE, streamReplicasFromEnv } from './streams.js';

/** Pause between reconnection attempts. */
const RECONNECT_WAIT_MS = 250;

/** How long a server may take to say whose account a connection is in. */
const USER_INFO_TIMEOUT_MS = 1_000;

/** A connection with its JetStream handles, as every service holds. */
export interface RiverConnection {
  nc: NatsConnection;
  /** The NATS user it connected as; `undefined` without credentials. */
  user: string | undefined;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
  objm: Objm;
}

/** Options of {@link connectRiver}. */
export interface ConnectOptions {
  /** One or more comma-separated server URLs. */
  servers: string;
  /** Shown in the server's connection list, for example `sandbox-3`. */
  name: string;
  /** Give up after this long if no server answers at all. */
  timeoutMs?: number;
  /**
   * Reconnection attempts, 250 ms apart, before the connection closes for
   * good; unlimited unless set. Services keep trying; a client may not.
   */
  maxReconnectAttempts?: number;
  /** Who to connect as; without credentials, as nobody in particular. */
  credentials?: NatsCredentials | undefined;
  /**
   * How often to ping the server; a server that misses two pings counts
   * as lost. The client's default, two minutes, unless set: a process
   * that tells people whether NATS answers wants to know sooner.
   */
  pingIntervalMs?: number;
  /**
   * Copies of each stream and bucket this connection may create, and the
   * setting that asked for them, as a refusal names it. More than one
   * needs a server that is part of a cluster. `RIVER_STREAM_REPLICAS`
   * (else 1) unless given, as the services' stream set-up reads it.
   */
  streamReplicas?: { count: number; setting: string };
}

/**
 * The prefix of a user's reply subjects. A user of a River role may
 * receive replies only under its own prefix, so that no role can read the
 * replies (pulled messages among them) meant for another.
 */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user}`;
}

/**
 * Connects to NATS, checks that the server has every feature and setting
 * River relies on (see {@link checkServer}: its version, JetStream for
 * this connection's account, message headers, `max_payload`, and a
 * cluster when streams are to be replicated), and returns the handles
 * River's services use. The connection reconnects forever, so a
 * restarted server is picked up by itself.
 *
 * With credentials, replies come under the user's own inbox prefix
 * ({@link inboxPrefixOf}), and a publish or JetStream call the user's
 * role may not make fails with a {@link NatsAccessError} that names the
 * user, the subject and the missing permission.
 *
 * @throws NatsAccessError when the server refuses the credentials or a
 *   credentials file cannot be read; ServerUnsupportedError naming what
 *   the server lacks, the version or setting that brings it, and the
 *   server's version and address; CodedError (code `INVALID_CONFIG`)
 *   when `streamReplicas` is not given and `RIVER_STREAM_REPLICAS` is
 *   invalid.
 */
export async function connectRiver(
  options: ConnectOptions,
): Promise<RiverConnection> {
  const user = options.credentials?.user;
  const inboxPrefix = user === undefined ? undefined : inboxPrefixOf(user);
  const nc = await connect({
    servers: options.servers.split(',').map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    timeout: options.timeoutMs ?? 5_000,
    ...(options.pingIntervalMs === undefined
      ? {}
      : { pingInterval: options.pingIntervalMs, maxPingOut: 2 }),
    // The client would capture a stack trace for every request and
    // publish, in case it fails: about a tenth of a service's CPU time.
    // River's errors name the operation themselves.
    noAsyncTraces: true,
    ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
    ...(await authOptions(options.credentials)),
  }).catch((error: unknown) => {
    throw refusedConnection(options, error);
  });
  explainRefusals(nc, user);
  try {
    const replicas = options.streamReplicas ?? {
      count: streamReplicasFromEnv(),
      setting: STREAM_REPLICAS_VARIABLE,
    };
    const needs = {
      streamReplicas: replicas.count,
      replicasSetting: replicas.setting,
    };
    const facts = serverFacts(nc, user);
    checkServer(facts, needs);

    // Ordered push consumers (key-value watches, object reads) deliver to
    // the watcher prefix, which must also be the user's own.
    const jsOptions =
      inboxPrefix === undefined ? {} : { watcherPrefix: inboxPrefix };
    const jsm = await jetstreamManager(nc, { ...jsOptions, checkAPI: false });
    facts.accountJetStream = await accountHasJetStream(jsm);
    if (!facts.accountJetStream) {
      facts.account = await boundAccount(nc);
    }
    checkServer(facts, needs);

    const js = jetstream(nc, jsOptions);
    // The health probes, when a service has them, report on it.
    watchConnection(nc);
    return { nc, user, js, jsm, kvm: new Kvm(js), objm: new Objm(js) };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/** What the server's INFO says about it, for {@link checkServer}. */
function serverFacts(
  nc: NatsConnection,
  user: string | undefined,
): ServerFacts {
  const info = nc.info;
  const hostPort = nc.getServer();
  return {
    version: info?.version ?? '0.0.0',
    address: /^\w+:\/\//.test(hostPort) ? hostPort : `nats://${hostPort}`,
    jetstream: info?.jetstream === true,
    headers: info?.headers === true,
    maxPayload: info?.max_payload ?? 0,
    clustered: (info?.cluster ?? '') !== '',
    user,
  };
}

/**
 * Whether JetStream answers this connection's account: a server can run
 * JetStream for some accounts and not others.
 *
 * @throws the request's error when it fails for another reason.
 */
async function accountHasJetStream(jsm: JetStreamManager): Promise<boolean> {
  try {
    await jsm.getAccountInfo();
    return true;
  } catch (error) {
    // The client names both a refusal for the account (code 10039) and a
    // JetStream that does not answer at all so; it exports no class.
    if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
      return false;
    }
    throw error;
  }
}

/**
 * The account the server bound this connection to, as nats-server 2.10
 * and later tell a connection that asks; `undefined` from older servers,
 * or when the user may not ask.
 */
async function boundAccount(nc: NatsConnection): Promise<string | undefined> {
  try {
    const reply = await nc.request('$SYS.REQ.USER.INFO', undefined, {
      timeout: USER_INFO_TIMEOUT_MS,
    });
    const body = reply.json<{ data?: { account?: unknown } }>();
    const account = body.data?.account;
    return typeof account === 'string' && account !== '' ? account : undefined;
  } catch {
    return undefined;
  }
}

/** An nkey user seed as `nk -gen user` and `river nats-config` write it. */
const NKEY_USER_SEED = /^SU[A-Z2-7]{56}$/;

/** The connection options that present `credentials` to the server. */
async function authOptions(
  credentials: NatsCredentials | undefined,
): Promise<Partial<ConnectionOptions>> {
  if (credentials === undefined) {
    return {};
  }
  if ('password' in credentials) {
    return { user: credentials.user, pass: credentials.password };
  }
  const [variable, path] =
    'nkeySeedFile' in credentials
      ? ['RIVER_NATS_NKEY_SEED_FILE', credentials.nkeySeedFile]
      : ['RIVER_NATS_CREDS', credentials.credsFile];
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NatsAccessError({
      user: credentials.user,
      operation: 'connect',
      message:
        `Cannot read ${variable} ${path} for NATS user ` +
        `'${credentials.user}': ${(error as Error).message}.`,
      cause: error,
    });
  }
  const seed = text.trim();
  if ('nkeySeedFile' in credentials && !NKEY_USER_SEED.test(seed)) {
    // The client library would only say its base32 is bad, naming nothing.
    throw new NatsAccessError({
      user: credentials.user,
      operation: 'connect',
      message:
        `${variable} ${path} does not hold an nkey user seed (one line of ` +
        `58 characters starting with "SU") for NATS user ` +
        `'${credentials.user}'.`,
    });
  }
  const bytes = new TextEncoder().encode(seed);
  return {
    authenticator:
      'nkeySeedFile' in credentials
        ? nkeyAuthenticator(bytes)
        : credsAuthenticator(bytes),
  };
}

/** A connection error, named for the user when the server refused it. */
function refusedConnection(options: ConnectOptions, error: unknown): unknown {
  const refused =
    error instanceof Error && /authorization violation/i.test(error.message);
  if (!refused) {
    return error;
  }
  const user = options.credentials?.user;
  return new NatsAccessError({
    user,
    operation: 'connect',
    message:
      user === undefined
        ? `The NATS server at ${options.servers} requires a user: set ` +
          'RIVER_NATS_USER and its RIVER_NATS_NKEY_SEED_FILE (or ' +
          'RIVER_NATS_PASSWORD or RIVER_NATS_CREDS).'
        : `The NATS server at ${options.servers} refused user '${user}': ` +
          "its credentials match no user of the server's configuration; " +
          'generate both together (river nats-config).',
    cause: error,
  });
}

/**
 * Makes a request that the server refuses under the user's permissions
 * (JetStream publishes and API calls are requests) fail with a
 * {@link NatsAccessError} naming the user, the subject and the missing
 * permission, rather than a bare protocol message.
 */
function explainRefusals(nc: NatsConnection, user: string | undefined): void {
  const request = nc.request.bind(nc);
  nc.request = async (...args: Parameters<NatsConnection['request']>) => {
    try {
      return await request(...args);
    } catch (error) {
      const violation = permissionViolation(error);
      throw violation === undefined
        ? error
        : accessError(user, violation, error);
    }
  };
}
