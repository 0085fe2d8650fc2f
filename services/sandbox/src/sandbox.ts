import { mkdir } from 'node:fs/promises';
import type { KV } from '@nats-io/kv';
import {
  Buckets,
  Consumers,
  type RunnerKind,
  Streams,
  Subjects,
} from '@river/protocol';
import {
  CancelWatch,
  connectRiver,
  createServiceLogger,
  ensureDurable,
  type Logger,
  natsCredentialsOf,
  openFleetBucket,
  type RiverConnection,
  requireStreams,
  runShutdown,
  SHUTDOWN_STEP_LIMIT_MS,
} from '@river/protocol/internal';
import {
  DEFAULT_DRAIN_GRACE_MS,
  DEFAULT_TASK_LOST_MS,
  type SandboxConfig,
  sandboxLabels,
  sandboxLimits,
} from './config.js';
import { SandboxError, SandboxErrorCode } from './errors.js';
import type { ArtifactStore } from './nats-types.js';
import { Presence } from './presence.js';
import { type SlotLoop, startSlotLoop } from './pull-loop.js';
import { createRunnerRegistry } from './runners/registry.js';
import { loadSecretsKey, SecretReader } from './secrets.js';
import { handleDispatch } from './task-handler.js';

/**
 * How long a dispatch may go without an ack or a heartbeat by default.
 *
 * @deprecated Use `DEFAULT_TASK_LOST_MS`; the `RIVER_TASK_LOST_MS` setting
 *   (`taskLostMs`) now decides it.
 */
export const DISPATCH_ACK_WAIT_MS = DEFAULT_TASK_LOST_MS;

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** The logger to use; by default one on stdout at the config's level. */
  log?: Logger;
}

/** A sandbox that is pulling and running tasks. */
export interface RunningSandbox {
  /** This sandbox's id, as task events and results carry it. */
  readonly id: string;
  /** The runner of tasks that name none. */
  readonly defaultRunner: RunnerKind;
  /**
   * Stops pulling tasks at once and lets the running ones finish and
   * report for up to the drain grace period (`drainGraceMs`); past it,
   * stops those still running and hands them back (reason
   * `handed-back`). Then closes the connection. Each step runs even if
   * one before failed.
   */
  close(): Promise<void>;
}

/**
 * Connects to NATS, makes sure the streams, the pool's consumer and the
 * artifact store exist, and starts pulling the pool's tasks.
 *
 * @throws when NATS cannot be reached or lacks JetStream, the work
 *   directory cannot be created, or the task runners the settings ask for
 *   do not work on this host.
 */
export async function startSandbox(
  config: SandboxConfig,
  options: SandboxOptions = {},
): Promise<RunningSandbox> {
  const labels = sandboxLabels(config);
  const log = (
    options.log ?? createServiceLogger('sandbox', config.logLevel)
  ).child({ sandboxId: config.sandboxId, pool: config.pool, labels });
  await mkdir(config.workDir, { recursive: true });
  const secretsKey = await loadSecretsKey(config);
  const runners = await createRunnerRegistry(config, log);

  const connection = await connectRiver({
    servers: config.natsUrl,
    name: `sandbox-${config.sandboxId}`,
    credentials: natsCredentialsOf(config),
  });
  const taskLostMs = config.taskLostMs ?? DEFAULT_TASK_LOST_MS;
  const drainGraceMs = config.drainGraceMs ?? DEFAULT_DRAIN_GRACE_MS;
  let artifacts: ArtifactStore;
  let presenceBucket: KV;
  try {
    artifacts = await prepareServer(connection, config, taskLostMs, log);
    presenceBucket = await openFleetBucket(connection, Buckets.sandboxes);
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

  const secrets = new SecretReader(connection.kvm, secretsKey);

  // Stopping first drains (new dispatches are handed back), and after the
  // grace period hands back what still runs.
  const draining = new AbortController();
  const handBack = new AbortController();
  const loop = startSlotLoop({
    js: connection.js,
    stream: Streams.dispatch,
    consumer: Consumers.sandboxPool(config.pool, labels),
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
        taskLostMs,
        draining: draining.signal,
        handBack: handBack.signal,
        drainGraceMs,
        secrets,
        runners,
        limits: sandboxLimits(config),
        ...(config.maxOutputBytes === undefined
          ? {}
          : { maxOutputBytes: config.maxOutputBytes }),
      }),
  });
  const presence = new Presence(
    presenceBucket,
    {
      sandboxId: config.sandboxId,
      pool: config.pool,
      labels,
      slots: config.slots,
    },
    { busy: () => loop.busy(), draining: () => draining.signal.aborted },
    log,
  );
  await presence.start();
  log.info(
    {
      slots: config.slots,
      workDir: config.workDir,
      taskLostMs,
      drainGraceMs,
      secretsKey: secrets.keyFingerprint ?? null,
    },
    'Sandbox started',
  );

  let closing: Promise<void> | undefined;
  return {
    id: config.sandboxId,
    defaultRunner: runners.defaultKind,
    close() {
      closing ??= shutDown(
        connection,
        async () => {
          draining.abort();
          // The scheduler stops counting this sandbox's slots at once.
          await presence.renew();
          await drain(loop, drainGraceMs, handBack, log);
          cancels.stop();
          await presence.stop();
        },
        // The grace, then the time to hand back what still runs.
        drainGraceMs + SHUTDOWN_STEP_LIMIT_MS,
        log,
      );
      return closing;
    },
  };
}

/**
 * Stops pulling, waits up to `graceMs` for the running tasks, then stops
 * the rest through `handBack` and waits for them to report.
 */
async function drain(
  loop: SlotLoop,
  graceMs: number,
  handBack: AbortController,
  log: Logger,
): Promise<void> {
  const stopped = loop.stop();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => {
    timer = setTimeout(() => resolve('grace over'), graceMs);
  });
  const first = await Promise.race([stopped, graceOver]);
  clearTimeout(timer);
  if (first === 'grace over') {
    log.info({ drainGraceMs: graceMs }, 'Handing back tasks still running');
    handBack.abort();
    await stopped;
  }
}

async function prepareServer(
  connection: RiverConnection,
  config: SandboxConfig,
  taskLostMs: number,
  log: Logger,
): Promise<ArtifactStore> {
  const { jsm } = connection;
  const labels = sandboxLabels(config);
  const name = Consumers.sandboxPool(config.pool, labels);
  await requireStreams(jsm, [
    Streams.dispatch,
    Streams.taskResults,
    Streams.logs,
    Streams.events,
  ]);

  // The ack wait is the lost timeout; an existing consumer is updated to
  // this sandbox's setting, so the last sandbox started decides it.
  const ackWaitMs = () =>
    jsm.consumers
      .info(Streams.dispatch, name)
      .then((info) => (info.config.ack_wait ?? 0) / 1_000_000)
      .catch(() => undefined);
  const before = await ackWaitMs();
  await ensureDurable(jsm, {
    stream: Streams.dispatch,
    name,
    filterSubject: Subjects.dispatch(config.pool, labels),
    ackWaitMs: taskLostMs,
  });
  const after = await ackWaitMs();
  if (after !== taskLostMs) {
    throw new SandboxError(
      SandboxErrorCode.lostTimeoutRefused,
      `The ack wait of consumer ${name} is ${after} ms and could not be ` +
        `set to RIVER_TASK_LOST_MS (${taskLostMs} ms); check the ` +
        "server's limits and the consumer's settings.",
    );
  }
  if (before !== undefined && before !== taskLostMs) {
    log.warn(
      { consumer: name, fromMs: before, toMs: taskLostMs },
      "Changed the pool's lost timeout; every sandbox of a pool needs " +
        'the same RIVER_TASK_LOST_MS',
    );
  }
  return connection.objm.create(Buckets.artifacts, { storage: 'file' });
}

async function shutDown(
  connection: RiverConnection,
  stopLoop: () => Promise<void>,
  stopLoopLimitMs: number,
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
    ['stop pulling tasks', stopLoop, stopLoopLimitMs],
    ['drain connection', drainOrClose],
  ]);
  log.info('Sandbox stopped');
}
