import type { AddressInfo } from 'node:net';
import { Streams } from '@river/protocol';
import {
  connectRiver,
  createServiceLogger,
  type Logger,
  natsCredentialsOf,
  type RiverConnection,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import type { GatewayConfig } from './config.js';
import { EventHub } from './event-hub.js';
import { LayoutCache } from './http/graph-api.js';
import { createGatewayServer } from './http/server.js';
import { defaultUiDir } from './http/static-files.js';
import { NatsReachability } from './nats-reachability.js';
import { RunSnapshots } from './run-snapshots.js';
import { RunsIndex } from './runs-index.js';
import { TokenTable } from './tokens.js';

/**
 * How often the gateway pings NATS: a server that stops answering (a
 * frozen process, a cut network) is noticed after two missed pings.
 */
const NATS_PING_MS = 5_000;

/** A running gateway. */
export interface Gateway {
  /** Where the UI is served, such as `http://127.0.0.1:7070/`. */
  url: string;
  /** Closes live streams, stops listening and disconnects. */
  close(): Promise<void>;
}

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** The logger to use; a pino logger on stdout by default. */
  log?: Logger;
}

/**
 * Connects to NATS, loads every run's list line from the events stream,
 * then serves the UI, its API and its live streams over HTTP.
 *
 * @throws SettingsError for bad tokens; the stream look-up's error when
 *   River's events stream does not exist (run `river setup`); any
 *   connection error when no server answers; the listen error when the
 *   port is taken.
 */
export async function startGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const log = options.log ?? createServiceLogger('gateway', config.logLevel);
  const tokens = TokenTable.parse(config.tokens);
  const credentials = natsCredentialsOf(config);
  const connection = await connectRiver({
    servers: config.natsUrl,
    name: 'river-gateway',
    credentials,
    // Pages say within seconds when NATS stops answering.
    pingIntervalMs: NATS_PING_MS,
  });
  const nats = new NatsReachability(connection.nc, log);
  const hub = new EventHub();
  const layouts = new LayoutCache();
  // A run's graph is laid out as it starts, so that its page, opened
  // while it runs, finds the layout made.
  const index = new RunsIndex((started) =>
    setImmediate(() => {
      try {
        layouts.layout(jobOutlines(started.event.jobs));
      } catch (error) {
        log.warn(
          { runId: started.event.runId, err: error },
          'Could not lay out the graph of a run that started',
        );
      }
    }),
  );
  let client: RiverClient | undefined;
  try {
    await requireEventsStream(connection);
    await hub.start(connection, log);
    await index.start(connection, log);
    client = await RiverClient.connect({
      servers: config.natsUrl,
      name: 'river-gateway-actions',
      credentials,
      // Cancel and retry must work again however long NATS was away.
      maxReconnectAttempts: -1,
    });
  } catch (error) {
    await hub.stop();
    await index.stop();
    await connection.nc.close();
    throw error;
  }

  const server = createGatewayServer({
    tokens,
    uiDir: config.uiDir ?? defaultUiDir(),
    log,
    hub,
    index,
    connection,
    nats,
    snapshots: new RunSnapshots(connection),
    layouts,
    client,
    heartbeatMs: config.heartbeatMs,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await client?.close();
    await hub.stop();
    await index.stop();
    await connection.nc.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/`;
  log.info({ url, host: config.host, port }, 'Gateway started');

  return {
    url,
    async close() {
      server.close();
      // Live streams never end on their own.
      server.closeAllConnections();
      await hub.stop();
      await index.stop();
      await client?.close();
      await connection.nc.drain();
    },
  };
}

/** The jobs of a `run.started` event, as the layout takes them. */
function jobOutlines(jobs: unknown): { name: string; needs: string[] }[] {
  return Array.isArray(jobs)
    ? (jobs as { name: string; needs: string[] }[])
    : [];
}

/**
 * How long the gateway waits for River's events stream at start-up: the
 * services that create it may be starting beside it.
 */
const STREAM_WAIT_MS = 20_000;

/**
 * Waits until River's events stream exists; the gateway only reads it.
 *
 * @throws Error saying to run `river setup` when it is still missing
 *   after {@link STREAM_WAIT_MS}.
 */
async function requireEventsStream(connection: RiverConnection) {
  const deadline = Date.now() + STREAM_WAIT_MS;
  for (;;) {
    try {
      await connection.jsm.streams.info(Streams.events);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `The NATS server holds no ${Streams.events} stream ` +
            `(${(error as Error).message}): run river setup, or start ` +
            'the controller first.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
