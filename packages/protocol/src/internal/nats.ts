import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ServerUnsupportedError } from '../errors.js';

/** Pause between reconnection attempts. */
const RECONNECT_WAIT_MS = 250;

/** The oldest nats-server River supports. */
export const MIN_SERVER_VERSION = '2.9.0';

/** A connection with its JetStream handles, as every service holds. */
export interface RiverConnection {
  nc: NatsConnection;
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
}

/** Whether `version` (x.y.z) is at least `minimum`. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = version.split('.').map((part) => Number.parseInt(part, 10));
  const want = minimum.split('.').map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) {
      return a > b;
    }
  }
  return true;
}

/**
 * Connects to NATS, checks that the server is recent enough and has
 * JetStream, and returns the handles River's services use. The connection
 * reconnects forever, so a restarted server is picked up by itself.
 *
 * @throws ServerUnsupportedError when the server is too old or lacks
 *   JetStream.
 */
export async function connectRiver(
  options: ConnectOptions,
): Promise<RiverConnection> {
  const nc = await connect({
    servers: options.servers.split(',').map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    timeout: options.timeoutMs ?? 5_000,
  });
  try {
    const version = nc.info?.version ?? '0.0.0';
    if (!versionAtLeast(version, MIN_SERVER_VERSION)) {
      throw new ServerUnsupportedError(
        'version',
        `nats-server ${version} is too old: River needs ` +
          `${MIN_SERVER_VERSION} or later.`,
      );
    }
    if (nc.info?.jetstream !== true) {
      throw new ServerUnsupportedError(
        'jetstream',
        `nats-server ${version} at ${nc.getServer()} has JetStream ` +
          'disabled: start it with -js (or jetstream {} in its config).',
      );
    }
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    return { nc, js, jsm, kvm: new Kvm(js), objm: new Objm(js) };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
