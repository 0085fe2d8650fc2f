import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import { Buckets, Consumers, Streams, Subjects } from '@river/protocol';
import {
  CancelWatch,
  type ConsumeLoop,
  connectRiver,
  consumeMessages,
  createServiceLogger,
  ensureDurable,
  type Logger,
  natsCredentialsOf,
  openFleetBucket,
  type RiverConnection,
  requireStreams,
  runShutdown,
} from '@river/protocol/internal';
import { CacheStore } from './cache-store.js';
import {
  DEFAULT_QUEUE_AHEAD,
  DEFAULT_SCHEDULER_ACK_WAIT_MS,
  DEFAULT_TASK_TTL_DAYS,
  type SchedulerConfig,
} from './config.js';
import type { SchedulerContext } from './dispatch.js';
import { Dispatcher } from './dispatcher.js';
import { FleetView } from './fleet.js';
import { Lease } from './lease.js';
import { createRequestHandler } from './requests.js';
import { createResultHandler } from './results.js';
import { TaskStore } from './task-store.js';

/** A day in milliseconds, for the tasks bucket's age limit. */
const DAY_MS = 24 * 60 * 60 * 1_000;
/**
 * Requests handled at once by one scheduler. Storing a request is a
 * round trip to the tasks bucket, and a run of thousands of tasks sends
 * them all at once: a run submitted after it waits until they are in.
 */
const REQUEST_CONCURRENCY = 32;
/** Results handled at once by one scheduler. */
const RESULT_CONCURRENCY = 8;

/** A running scheduler. */
export interface Scheduler {
  /** Stops consuming, lets messages in hand finish and disconnects. */
  close(): Promise<void>;
}

/** Options of {@link startScheduler}. */
export interface SchedulerOptions {
  /** The logger to use; a pino logger on stdout by default. */
  log?: Logger;
}

/**
 * Connects to NATS, makes sure River's streams, the scheduler's durable
 * consumers and the tasks bucket exist, then places task requests on their
 * pools and handles attempt results until closed.
 *
 * @throws ServerUnsupportedError when the server lacks a feature or
 *   setting River relies on; any connection error when no server answers.
 *
 * @example
 * ```ts
 * const scheduler = await startScheduler(loadSchedulerConfig());
 * process.once('SIGTERM', () => void scheduler.close());
 * ```
 */
export async function startScheduler(
  config: SchedulerConfig,
  options: SchedulerOptions = {},
): Promise<Scheduler> {
  const log = options.log ?? createServiceLogger('scheduler', config.logLevel);
  const connection = await connectRiver({
    servers: config.natsUrl,
    name: 'river-scheduler',
    credentials: natsCredentialsOf(config),
  });

  let buckets: SchedulerBuckets;
  try {
    buckets = await prepare(connection, config, log);
  } catch (error) {
    await connection.nc.close();
    throw error;
  }

  const { store, caches, cancels, tasks, sandboxes, schedulers } = buckets;
  // Made once the context it needs exists; nothing calls it before.
  let dispatcher: Dispatcher | undefined;
  const context: SchedulerContext = {
    js: connection.js,
    store,
    caches,
    cancelReason: (task) =>
      cancels.reasonFor(task.runId) ??
      cancels.reasonFor(`${task.runId}.${task.taskId}`),
    queued: (key, stored) => dispatcher?.offer(key, stored),
    log,
  };
  const replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const queueAhead = config.queueAhead ?? DEFAULT_QUEUE_AHEAD;
  const fleet = FleetView.start(sandboxes, log, () => dispatcher?.wake());
  dispatcher = new Dispatcher(context, {
    tasks,
    schedulers,
    fleet,
    queueAhead,
    replica,
  });
  const lease = new Lease(schedulers, replica, log, () => dispatcher?.wake());
  await dispatcher.start(lease);
  lease.start();
  const loops: ConsumeLoop[] = [
    consumeMessages({
      js: connection.js,
      stream: Streams.taskRequests,
      consumer: Consumers.schedulerRequests,
      kind: 'taskRequest',
      concurrency: REQUEST_CONCURRENCY,
      log,
      handle: createRequestHandler(context),
    }),
    consumeMessages({
      js: connection.js,
      stream: Streams.taskResults,
      consumer: Consumers.schedulerResults,
      kind: 'taskResult',
      concurrency: RESULT_CONCURRENCY,
      log,
      handle: createResultHandler(context),
    }),
  ];
  log.info(
    {
      server: connection.nc.getServer(),
      ackWaitMs: config.ackWaitMs ?? DEFAULT_SCHEDULER_ACK_WAIT_MS,
      taskTtlDays: config.taskTtlDays ?? DEFAULT_TASK_TTL_DAYS,
      queueAhead,
      replica,
    },
    'Scheduler started',
  );

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= runShutdown(log, [
        ['stop consumers', () => stopAll(loops)],
        ['hand over dispatching', () => lease.stop()],
        ['stop dispatching', () => dispatcher.stop()],
        ['stop watching the fleet', async () => fleet.stop()],
        ['stop watching cancellations', async () => cancels.stop()],
        ['drain connection', () => connection.nc.drain()],
      ]).then(() => log.info('Scheduler stopped'));
      return closing;
    },
  };
}

/** The buckets a scheduler keeps tasks and cached results in. */
interface SchedulerBuckets {
  store: TaskStore;
  caches: CacheStore;
  cancels: CancelWatch;
  /** The tasks bucket itself, which the dispatcher watches. */
  tasks: KV;
  sandboxes: KV;
  schedulers: KV;
}

async function prepare(
  connection: RiverConnection,
  config: SchedulerConfig,
  log: Logger,
): Promise<SchedulerBuckets> {
  const { jsm, kvm } = connection;
  const ackWaitMs = config.ackWaitMs ?? DEFAULT_SCHEDULER_ACK_WAIT_MS;
  await requireStreams(
    jsm,
    [
      Streams.taskRequests,
      Streams.taskResults,
      Streams.dispatch,
      Streams.events,
    ],
    config.retentionDays,
  );
  await ensureDurable(jsm, {
    stream: Streams.taskRequests,
    name: Consumers.schedulerRequests,
    filterSubject: Subjects.taskRequest,
    ackWaitMs,
  });
  await ensureDurable(jsm, {
    stream: Streams.taskResults,
    name: Consumers.schedulerResults,
    filterSubject: Subjects.taskResult,
    ackWaitMs,
  });

  const ttlMs = (config.taskTtlDays ?? DEFAULT_TASK_TTL_DAYS) * DAY_MS;
  const kv = await kvm.create(Buckets.tasks, { history: 1, ttl: ttlMs });
  await keepBucketTtl(jsm, ttlMs, log);
  // A flight outlives its task only when the task's entry is gone too.
  const flights = await kvm.create(Buckets.cacheFlights, {
    history: 1,
    ttl: ttlMs,
  });
  const entries = await kvm.create(Buckets.cache, { history: 1 });
  const artifacts = await connection.objm.create(Buckets.artifacts);
  return {
    tasks: kv,
    sandboxes: await openFleetBucket(connection, Buckets.sandboxes),
    schedulers: await openFleetBucket(connection, Buckets.schedulers),
    store: new TaskStore(kv),
    caches: new CacheStore(connection.js, entries, flights, artifacts),
    cancels: await CancelWatch.start(connection, log),
  };
}

/**
 * Gives an existing tasks bucket the configured age limit. The bucket is
 * the scheduler's own, and without a limit (as older schedulers created
 * it) the tombstones of finished tasks would pile up forever.
 */
async function keepBucketTtl(
  jsm: RiverConnection['jsm'],
  ttlMs: number,
  log: Logger,
): Promise<void> {
  const stream = `KV_${Buckets.tasks}`;
  const info = await jsm.streams.info(stream);
  const maxAge = ttlMs * 1_000_000;
  if (info.config.max_age === maxAge) {
    return;
  }
  await jsm.streams.update(stream, { ...info.config, max_age: maxAge });
  log.info(
    {
      bucket: Buckets.tasks,
      fromMs: info.config.max_age / 1_000_000,
      toMs: ttlMs,
    },
    'Changed the age limit of the tasks bucket',
  );
}

async function stopAll(loops: readonly ConsumeLoop[]): Promise<void> {
  await Promise.all(loops.map((loop) => loop.stop()));
}
