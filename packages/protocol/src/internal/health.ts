import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { Type } from '../typebox.js';
import type { Logger } from './logger.js';
import { readSettings, type SettingSources } from './settings.js';

/**
 * The NATS connections of this process that the health probes report on,
 * each with whether it is connected now. A connection leaves the map when
 * it closes.
 */
const watched = new Map<NatsConnection, boolean>();

/**
 * Follows `nc` so that the health probes report on it: it counts as
 * connected until the client reports a disconnect, again after a
 * reconnect, and no longer counts once closed. `connectRiver` calls it
 * for every connection it makes.
 */
export function watchConnection(nc: NatsConnection): void {
  if (watched.has(nc) || nc.isClosed()) {
    return;
  }
  watched.set(nc, true);
  followConnectionState(nc, (connected) => {
    if (watched.has(nc)) {
      watched.set(nc, connected);
    }
  });
  nc.closed().then(
    () => watched.delete(nc),
    () => watched.delete(nc),
  );
}

/**
 * Calls `onChange(false)` when `nc` loses its server (a disconnect, or a
 * server that stopped answering pings) and `onChange(true)` once it has
 * reconnected, until the connection closes.
 */
export function followConnectionState(
  nc: NatsConnection,
  onChange: (connected: boolean) => void,
): void {
  const follow = async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') {
        onChange(false);
      } else if (status.type === 'reconnect') {
        onChange(true);
      }
    }
  };
  // The status iterator ends with the connection; nothing to report.
  follow().catch(() => undefined);
}

/** What the probes know of this process's NATS connections. */
export interface NatsConnectionState {
  /** Open connections (closed ones are forgotten). */
  connections: number;
  /** How many of them are connected to a server right now. */
  connected: number;
}

/** The state of every connection {@link watchConnection} follows. */
export function natsConnectionState(): NatsConnectionState {
  const states = [...watched.values()];
  return {
    connections: states.length,
    connected: states.filter(Boolean).length,
  };
}

/** Where the health probes listen. */
export interface HealthSettings {
  /** The TCP port; 0 asks the system for a free one. */
  port: number;
  /** The address to listen on, `0.0.0.0` (any) or `127.0.0.1` (loopback). */
  host: string;
}

const HealthVariables = Type.Object({
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
  host: Type.String({ minLength: 1 }),
});

/** `RIVER_HEALTH_PORT` and `RIVER_HEALTH_HOST`, as services read them. */
export const HEALTH_SETTINGS: SettingSources<
  Type.Static<typeof HealthVariables>
> = {
  port: {
    variable: 'RIVER_HEALTH_PORT',
    expected: 'a TCP port from 1 to 65535',
    kind: 'integer',
  },
  host: {
    variable: 'RIVER_HEALTH_HOST',
    expected: 'an address to listen on, such as 0.0.0.0 or 127.0.0.1',
    kind: 'string',
    default: '0.0.0.0',
  },
};

/**
 * The health probes' settings from `env`, or `undefined` when
 * `RIVER_HEALTH_PORT` is unset: then no probe listens, and
 * `RIVER_HEALTH_HOST` is ignored.
 *
 * @throws SettingsError naming `RIVER_HEALTH_PORT` or `RIVER_HEALTH_HOST`
 *   when either holds a value that is not allowed.
 */
export function healthSettingsFromEnv(
  env: NodeJS.ProcessEnv,
): HealthSettings | undefined {
  const { port, host } = readSettings(HealthVariables, HEALTH_SETTINGS, env);
  return port === undefined ? undefined : { port, host };
}

/** A running health server. */
export interface HealthServer {
  /** The port it listens on (the one given, or the one picked for 0). */
  readonly port: number;
  /** Says from now on that the service is stopping: `/readyz` is 503. */
  stopping(): void;
  /** Stops listening and closes open requests. */
  close(): Promise<void>;
}

/** The JSON body of a probe's answer. */
interface ProbeAnswer extends NatsConnectionState {
  status: 'ok' | 'unavailable';
  stopping: boolean;
}

/**
 * Starts an HTTP server with two probes, answering `GET` (and `HEAD`)
 * with a small JSON body:
 *
 * - `/healthz`: 200 while every NATS connection of the process is
 *   connected (there must be one), 503 before the first connects, while
 *   one is disconnected (its server stopped; the client reconnects by
 *   itself) and after the last one closed;
 * - `/readyz`: the same, and 503 as well once {@link HealthServer.stopping}
 *   was called.
 *
 * Any other path is 404. The server never keeps the process alive.
 *
 * @throws Error when the address cannot be listened on (a port in use).
 *
 * @example
 * ```ts
 * const health = await startHealthServer({ port: 9090, host: '0.0.0.0' });
 * // GET http://<host>:9090/healthz → 200 {"status":"ok",…}
 * await health.close();
 * ```
 */
export async function startHealthServer(
  settings: HealthSettings,
): Promise<HealthServer> {
  let stopping = false;

  const server: Server = createServer((request, response) => {
    answer(request, response, stopping);
  });
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  server.unref();

  return {
    port: (server.address() as AddressInfo).port,
    stopping() {
      stopping = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  stopping: boolean,
): void {
  const path = new URL(request.url ?? '/', 'http://probe').pathname;
  if (path !== '/healthz' && path !== '/readyz') {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Not found: use /healthz or /readyz.\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' });
    response.end();
    return;
  }

  const state = natsConnectionState();
  const connected =
    state.connections > 0 && state.connected === state.connections;
  const ok = connected && (path === '/healthz' || !stopping);
  const body: ProbeAnswer = {
    status: ok ? 'ok' : 'unavailable',
    stopping,
    ...state,
  };
  response.writeHead(ok ? 200 : 503, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : JSON.stringify(body));
}

/** A service's `start`, as `runService` takes it. */
type StartService<Config, Service extends { close(): Promise<void> }> = (
  config: Config,
  options: { log: Logger },
) => Promise<Service>;

/**
 * Wraps a service's `start` so that, when `RIVER_HEALTH_PORT` is set, the
 * health probes of {@link startHealthServer} listen from before the
 * service connects until it has closed. Closing the service first marks
 * it stopping (`/readyz` answers 503), then closes it, then the probes.
 *
 * @throws SettingsError (from the returned function) when a health
 *   setting is invalid, and Error when the port cannot be listened on:
 *   `runService` then logs it and exits with 1.
 *
 * @example
 * ```ts
 * await runService({
 *   name: 'scheduler',
 *   loadConfig: loadSchedulerConfig,
 *   start: withHealthProbes(startScheduler),
 * });
 * ```
 */
export function withHealthProbes<
  Config,
  Service extends { close(): Promise<void> },
>(
  start: StartService<Config, Service>,
  env: NodeJS.ProcessEnv = process.env,
): StartService<Config, { close(): Promise<void> }> {
  return async (config, options) => {
    const settings = healthSettingsFromEnv(env);
    if (settings === undefined) {
      return start(config, options);
    }

    const health = await startHealthServer(settings);
    options.log.info(
      { host: settings.host, port: health.port },
      'Health probes listening',
    );
    let service: Service;
    try {
      service = await start(config, options);
    } catch (error) {
      await health.close();
      throw error;
    }

    return {
      async close() {
        health.stopping();
        try {
          await service.close();
        } finally {
          await health.close();
        }
      },
    };
  };
}
