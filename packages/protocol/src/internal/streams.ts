import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Streams, Subjects } from '../subjects.js';
import { CodedError } from './coded-error.js';

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;
const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;
const DEFAULT_MAX_ACK_PENDING = 10_000;

/** How long events and log chunks are kept, unless configured. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Copies of each new stream a NATS cluster keeps, unless configured. */
export const DEFAULT_STREAM_REPLICAS = 1;

/** The variable that sets how many copies of each new stream are kept. */
export const STREAM_REPLICAS_VARIABLE = 'RIVER_STREAM_REPLICAS';

/** JetStream keeps at most this many copies of a stream. */
const MAX_STREAM_REPLICAS = 5;

/**
 * The replica count in `RIVER_STREAM_REPLICAS`, 1 when it is unset or
 * blank. {@link ensureStreams} falls back to it so that every service
 * creates the shared streams alike, whichever of them starts first.
 *
 * @throws CodedError (code `INVALID_CONFIG`) when the value is not a whole
 *   number from 1 to 5.
 */
export function streamReplicasFromEnv(env = process.env): number {
  const text = env[STREAM_REPLICAS_VARIABLE]?.trim() ?? '';
  if (text === '') {
    return DEFAULT_STREAM_REPLICAS;
  }
  const replicas = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(replicas >= 1 && replicas <= MAX_STREAM_REPLICAS)) {
    throw new CodedError(
      'INVALID_CONFIG',
      `${STREAM_REPLICAS_VARIABLE} is ${JSON.stringify(text)}, but it must ` +
        `be a whole number from 1 to ${MAX_STREAM_REPLICAS} (3 on a ` +
        'three-node cluster).',
    );
  }
  return replicas;
}

type StreamName = (typeof Streams)[keyof typeof Streams];

/** A stream configuration with its name. */
export type StreamSettings = Partial<StreamConfig> & { name: string };

function workQueue(
  name: StreamName,
  subject: string,
  replicas: number,
): StreamSettings {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: DUPLICATE_WINDOW_NS,
  };
}

function history(
  name: StreamName,
  subject: string,
  retentionDays: number,
  replicas: number,
): StreamSettings {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: retentionDays * DAY_NS,
    duplicate_window: DUPLICATE_WINDOW_NS,
  };
}

/**
 * The configuration of every River stream. `replicas` is how many servers
 * of a cluster keep a copy of each stream; a single server needs 1.
 */
export function streamConfigs(
  retentionDays = DEFAULT_RETENTION_DAYS,
  replicas = DEFAULT_STREAM_REPLICAS,
): Record<StreamName, StreamSettings> {
  const { events, logs, submissions, taskRequests, dispatch, taskResults } =
    Streams;
  return {
    [submissions]: workQueue(submissions, Subjects.submit, replicas),
    [taskRequests]: workQueue(taskRequests, Subjects.taskRequest, replicas),
    [dispatch]: workQueue(dispatch, Subjects.dispatchAll, replicas),
    [taskResults]: workQueue(taskResults, Subjects.taskResult, replicas),
    [events]: history(events, Subjects.allEvents, retentionDays, replicas),
    [logs]: history(logs, Subjects.allLogChunks, retentionDays, replicas),
  };
}

/**
 * Creates River's streams that do not exist yet, each kept by `replicas`
 * servers (by default `RIVER_STREAM_REPLICAS`, else 1). An existing stream
 * is left as it is, so that a service started with other defaults never
 * undoes an operator's settings. Safe to call from every service at once.
 *
 * @throws CodedError (code `INVALID_CONFIG`) when `replicas` is not given
 *   and `RIVER_STREAM_REPLICAS` is invalid; the server's error when a
 *   cluster has fewer servers than `replicas`.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  retentionDays = DEFAULT_RETENTION_DAYS,
  replicas = streamReplicasFromEnv(),
): Promise<void> {
  const configs = streamConfigs(retentionDays, replicas);
  for (const config of Object.values(configs)) {
    const exists = await jsm.streams.info(config.name).then(
      () => true,
      () => false,
    );
    if (!exists) {
      // A sibling service may create it between the check and the add.
      await jsm.streams.add(config).catch(async (error: unknown) => {
        await jsm.streams.info(config.name).catch(() => {
          throw error;
        });
      });
    }
  }
}

/** The settings of a durable pull consumer that River uses. */
export interface DurableOptions {
  stream: string;
  name: string;
  filterSubject: string;
  /** How long a delivered message may stay unacknowledged. */
  ackWaitMs: number;
  /** Deliveries before a message is given up on; -1 for no limit. */
  maxDeliver?: number;
  /** Where a new consumer starts; work queues always start at the head. */
  deliverNew?: boolean;
  /**
   * Messages delivered and not yet acknowledged, at most; 10,000 unless
   * set. 1 makes the consumer hand out messages strictly in stream order,
   * redeliveries first, even across a crash of the one that held it.
   */
  maxAckPending?: number;
}

/** Creates a durable pull consumer, or updates it to `options`. */
export async function ensureDurable(
  jsm: JetStreamManager,
  options: DurableOptions,
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: options.name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: options.ackWaitMs * 1_000_000,
    filter_subject: options.filterSubject,
    max_deliver: options.maxDeliver ?? -1,
    deliver_policy: options.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    max_ack_pending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
  };
  try {
    await jsm.consumers.add(options.stream, config);
  } catch {
    await jsm.consumers.update(options.stream, options.name, config);
  }
}
