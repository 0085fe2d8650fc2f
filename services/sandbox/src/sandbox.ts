import { mkdir } from 'node:fs/promises';
import { Buckets, Consumers, Streams, Subjects } from '@river/protocol';
import {
  CancelWatch,
  connectRiver,
  createServiceLogger,
  ensureDurable,
  ensureStreams,
  type Logger,
  type RiverConnection,
  runShutdown,
} from '@river/protocol/internal';
import type { SandboxConfig } from './config.js';
import type { ArtifactStore } from './nats-types.js';
import { startSlotLoop } from './pull-loop.js';
import { handleDispatch } from './task-handler.js';

/** How long a dispatch may go without an ack or a heartbeat. */
export const DISPATCH_ACK_WAIT_MS = 30_000;

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** The logger to use; by default one on stdout at the config's level. */
  log?: Logger;
}

/** A sandbox that is pulling and running tasks. */
export interface RunningSandbox {
  /** This sandbox's id, as task events and results carry it. */
  readonly id: string;
  /**
   * Stops pulling tasks, waits for the running ones to finish and report,
   * then closes the connection. Each step runs even if one before failed.
   */
  close(): Promise<void>;
}

/**
 * Connects to NATS, makes sure the streams, the pool's consumer and the
 * artifact store exist, and starts pulling the pool's tasks.
 *
 * @throws when NATS cannot be reached or lacks JetStream, or the work
 *   directory cannot be created.
 */
export async function startSandbox(
  config: SandboxConfig,
  options: SandboxOptions = {},
): Promise<RunningSandbox> {
  const log = (
    options.log ?? createServiceLogger('sandbox', config.logLevel)
  ).child({ sandboxId: config.sandboxId, pool: config.pool });
  await mkdir(config.workDir, { recursive: true });

  const connection = await connectRiver({
    servers: config.natsUrl,
    name: `sandbox-${config.sandboxId}`,
  });
  let artifacts: ArtifactStore;
  try {
    artifacts = await prepareServer(connection, config);
  } catch (error) {
    await connection.nc.close();
    throw error;
  }

  // A cancelled run's or task's running attempts are killed; queued ones
  // are reported as cancelled without being started.
  const running = new Map<string, Set<AbortController>>();
  const cancels = await CancelWatch.start(connection, log, (key) => {
    for (const abort of running.get(key) ?? []) {
      log.info({ cancelled: key }, 'Killing a cancelled task');
      abort.abort();
    }
  });

  const loop = startSlotLoop({
    js: connection.js,
    stream: Streams.dispatch,
    consumer: Consumers.sandboxPool(config.pool),
    slots: config.slots,
    log,
    handle: (msg) =>
      handleDispatch(msg, {
        js: connection.js,
        artifacts,
        workDir: config.workDir,
        sandboxId: config.sandboxId,
        log,
        cancels,
        running,
        ...(config.maxOutputBytes === undefined
          ? {}
          : { maxOutputBytes: config.maxOutputBytes }),
      }),
  });
  log.info({ slots: config.slots, workDir: config.workDir }, 'Sandbox started');

  let closing: Promise<void> | undefined;
  return {
    id: config.sandboxId,
    close() {
      closing ??= shutDown(
        connection,
        () => {
          cancels.stop();
          return loop.stop();
        },
        log,
      );
      return closing;
    },
  };
}

async function prepareServer(
  connection: RiverConnection,
  config: SandboxConfig,
): Promise<ArtifactStore> {
  await ensureStreams(connection.jsm);
  await ensureDurable(connection.jsm, {
    stream: Streams.dispatch,
    name: Consumers.sandboxPool(config.pool),
    filterSubject: Subjects.dispatch(config.pool),
    ackWaitMs: DISPATCH_ACK_WAIT_MS,
  });
  return connection.objm.create(Buckets.artifacts, { storage: 'file' });
}

async function shutDown(
  connection: RiverConnection,
  stopLoop: () => Promise<void>,
  log: Logger,
): Promise<void> {
  // A connection that cannot drain is closed, so that the process can end.
  const drainOrClose = async () => {
    try {
      await connection.nc.drain();
    } catch (error) {
      await connection.nc.close().catch(() => undefined);
      throw error;
    }
  };

  log.info('Sandbox stopping');
  await runShutdown(log, [
    ['stop pulling tasks', stopLoop],
    ['drain connection', drainOrClose],
  ]);
  log.info('Sandbox stopped');
}
