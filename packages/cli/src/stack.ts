import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  type EmbeddedNats,
  type EmbeddedNatsOptions,
  startEmbeddedNats,
} from './embedded-nats.js';
import { type GatewayAccess, localGatewayAccess } from './gateway-access.js';
import type { RoleName } from './nats-rights/roles.js';
import {
  CORE_SERVICES,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
} from './services.js';

/** NATS plus the four services, started on this machine. */
export interface LocalStack {
  natsUrl: string;
  /** Set when the gateway was among the services: the UI's address. */
  gateway: GatewayAccess | undefined;
  /** Set when River started its own nats-server. */
  embedded: EmbeddedNats | undefined;
  services: ServiceProcess[];
  /** Where the services' logs are written. */
  logDir: string;
  /**
   * Starts a service again, as it was started, in place of the one in
   * `services` that has the same name.
   *
   * @throws Error when the stack is stopping, or the service does not
   *   start again.
   */
  restart(name: ServiceName): Promise<ServiceProcess>;
  /** Stops the services, then the embedded nats-server if any. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Use this server when it answers; otherwise start one. */
  natsUrl?: string | undefined;
  /** Keep the embedded server's JetStream data here. */
  storeDir?: string;
  /** Extra environment for the services, for example RIVER_SLOTS. */
  env?: NodeJS.ProcessEnv;
  /**
   * Services to start; the four that run tasks unless named. Name
   * `gateway` too for the web UI.
   */
  services?: readonly ServiceName[];
  /** Keep the services' log directory after `stop()` (default false). */
  keepLogs?: boolean;
  /**
   * Whose permissions a connection to the embedded server without
   * credentials gets: `sdk` (a client's) unless given; `false` starts the
   * embedded server without users, open to anyone on loopback.
   */
  anonymous?: RoleName | false;
}

/** Whether a NATS server answers at `url` within a short time. */
export async function natsAnswers(url: string): Promise<boolean> {
  try {
    const nc = await connect({
      servers: url,
      timeout: 2_000,
      reconnect: false,
    });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts River on this machine: uses the NATS at `natsUrl` when one
 * answers, otherwise an embedded nats-server with JetStream on a free
 * port; then each service as its own process. On the embedded server
 * each service connects as its own role's user (see `startEmbeddedNats`).
 */
export async function startLocalStack(
  options: LocalStackOptions = {},
): Promise<LocalStack> {
  const useGiven =
    options.natsUrl !== undefined && (await natsAnswers(options.natsUrl));
  const pool = options.env?.RIVER_POOL?.trim() || 'default';
  const embeddedOptions: EmbeddedNatsOptions = {
    rights:
      options.anonymous === false
        ? false
        : { pools: [pool], anonymous: options.anonymous ?? 'sdk' },
    ...(options.storeDir === undefined ? {} : { storeDir: options.storeDir }),
  };
  const embedded = useGiven
    ? undefined
    : await startEmbeddedNats(embeddedOptions);
  const natsUrl = embedded?.url ?? (options.natsUrl as string);
  const logDir = await mkdtemp(join(tmpdir(), 'river-logs-'));
  await mkdir(logDir, { recursive: true });

  const names = options.services ?? CORE_SERVICES;
  const gateway = names.includes('gateway')
    ? await localGatewayAccess({ ...process.env, ...options.env })
    : undefined;
  const services: ServiceProcess[] = [];
  const startOne = (name: ServiceName) =>
    startServiceProcess(
      name,
      { ...options.env, ...gateway?.env, NATS_URL: natsUrl },
      logDir,
    );
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.allSettled(services.map((service) => service.stop()));
    await embedded?.dispose();
    if (options.keepLogs !== true) {
      await rm(logDir, { recursive: true, force: true });
    }
  };
  // Every start is waited for, so that the services that did start are
  // stopped again when another one failed, not left running.
  const starts = await Promise.allSettled(names.map(startOne));
  for (const start of starts) {
    if (start.status === 'fulfilled') {
      services.push(start.value);
    }
  }
  const failed = starts.find((start) => start.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  const restart = async (name: ServiceName) => {
    if (stopping) {
      throw new Error(`River is stopping: the ${name} is not started again`);
    }
    const fresh = await startOne(name);
    const index = services.findIndex((service) => service.name === name);
    services.splice(index === -1 ? services.length : index, 1, fresh);
    if (stopping) {
      await fresh.stop();
    }
    return fresh;
  };
  return { natsUrl, gateway, embedded, services, logDir, restart, stop };
}
