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
import { NatsAccessError } from './nats-access.js';

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

/** The name of one of River's streams. */
export type StreamName = (typeof Streams)[keyof typeof Streams];

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

/** Stable code of the error about a stream made by an older River. */
export const STREAM_OUTDATED_CODE = 'STREAM_OUTDATED';

/** Stable code of {@link StreamMissingError}. */
export const STREAM_MISSING_CODE = 'STREAM_MISSING';

/**
 * A stream a service needs does not exist, and the service's NATS user
 * may not create it.
 */
export class StreamMissingError extends CodedError<typeof STREAM_MISSING_CODE> {
  /** The stream that is missing. */
  readonly stream: string;

  constructor(stream: string, cause: NatsAccessError) {
    super(
      STREAM_MISSING_CODE,
      `Stream ${stream} does not exist, and this service may not create ` +
        "it: create River's streams and buckets first with `river setup` " +
        `as the NATS admin user. (${cause.message})`,
      cause,
    );
    this.stream = stream;
  }
}

/**
 * Creates River's streams that do not exist yet, each kept by `replicas`
 * servers (by default `RIVER_STREAM_REPLICAS`, else 1). An existing stream
 * is left as it is, so that a service started with other defaults never
 * undoes an operator's settings. Safe to call from every service at once.
 * A stream the NATS user may not look up is skipped: a service checks
 * its own with {@link requireStreams}.
 *
 * @throws StreamMissingError when a stream is missing and may not be
 *   created; CodedError (code `INVALID_CONFIG`) when `replicas` is not
 *   given and `RIVER_STREAM_REPLICAS` is invalid; the server's error when
 *   a cluster has fewer servers than `replicas`.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  retentionDays = DEFAULT_RETENTION_DAYS,
  replicas = streamReplicasFromEnv(),
): Promise<void> {
  const configs = streamConfigs(retentionDays, replicas);
  for (const config of Object.values(configs)) {
    await ensureStream(jsm, config, 'skip');
  }
}

/**
 * Checks that the streams a service uses exist, and creates those that
 * do not (each kept by `replicas` servers) when its NATS user may; an
 * existing stream is left as it is. Under River's NATS rights a service
 * creates no stream: `river setup` does, as the admin user.
 *
 * @throws StreamMissingError when a stream is missing and may not be
 *   created; NatsAccessError when the user may not even look one up.
 */
export async function requireStreams(
  jsm: JetStreamManager,
  names: readonly StreamName[],
  retentionDays = DEFAULT_RETENTION_DAYS,
  replicas = streamReplicasFromEnv(),
): Promise<void> {
  const configs = streamConfigs(retentionDays, replicas);
  for (const name of names) {
    await ensureStream(jsm, configs[name], 'throw');
  }
}

/** Creates one stream unless it exists; see {@link requireStreams}. */
async function ensureStream(
  jsm: JetStreamManager,
  config: StreamSettings,
  refusedLookUp: 'skip' | 'throw',
): Promise<void> {
  const found = await jsm.streams.info(config.name).then(
    async (info) => {
      await widenSubjects(jsm, config, info.config);
      return 'exists' as const;
    },
    (error: unknown) => {
      if (!(error instanceof NatsAccessError)) {
        return 'missing' as const;
      }
      if (refusedLookUp === 'throw') {
        throw error;
      }
      return 'not ours' as const;
    },
  );
  if (found !== 'missing') {
    return;
  }
  // A sibling service may create it between the check and the add.
  await jsm.streams.add(config).catch(async (error: unknown) => {
    await jsm.streams.info(config.name).catch(() => {
      throw error instanceof NatsAccessError
        ? new StreamMissingError(config.name, error)
        : error;
    });
  });
}

/**
 * Gives an existing stream the subjects River now files in it, when an
 * older River made it with fewer (the dispatch stream once took only one
 * token after the prefix; label sets need two). Nothing else of the
 * stream's settings changes.
 *
 * @throws CodedError (code `STREAM_OUTDATED`, naming what to run) when
 *   the stream cannot be updated.
 */
async function widenSubjects(
  jsm: JetStreamManager,
  config: StreamSettings,
  existing: { subjects?: string[] },
): Promise<void> {
  const subjects = existing.subjects ?? [];
  const missing = (config.subjects ?? []).filter(
    (subject) => !subjects.includes(subject),
  );
  if (missing.length === 0) {
    return;
  }
  const info = await jsm.streams.info(config.name);
  await jsm.streams
    .update(config.name, {
      ...info.config,
      subjects: [...missing, ...subjects.filter((s) => !covered(s, missing))],
    })
    .catch((error: unknown) => {
      throw new CodedError(
        STREAM_OUTDATED_CODE,
        `Stream ${config.name} takes ${subjects.join(', ')} but this ` +
          `River needs ${missing.join(', ')}: update it with \`river ` +
          'setup` as the NATS admin user.',
        error,
      );
    });
}

/** Whether one of `wider` (ending in `>`) takes every message of `subject`. */
function covered(subject: string, wider: readonly string[]): boolean {
  return wider.some(
    (other) =>
      other.endsWith('.>') &&
      subject.startsWith(other.slice(0, -1)) &&
      subject !== other,
  );
}

/** The settings of a durable pull consumer that River uses. */
export interface DurableOptions {
  stream: string;
  name: string;
  /**
   * The subjects it reads; all of the stream's when left out. Leave it out
   * for a consumer of a whole history stream: on nats-server 2.9 each
   * message a filtered consumer takes costs the server more as the stream
   * grows, even when the filter matches every subject.
   */
  filterSubject?: string;
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

/**
 * Creates a durable pull consumer, or updates it to `options`.
 *
 * @throws NatsAccessError when the NATS user may not create it.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  options: DurableOptions,
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: options.name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: options.ackWaitMs * 1_000_000,
    ...(options.filterSubject === undefined
      ? {}
      : { filter_subject: options.filterSubject }),
    max_deliver: options.maxDeliver ?? -1,
    deliver_policy: options.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    max_ack_pending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
  };
  try {
    await jsm.consumers.add(options.stream, config);
  } catch (error) {
    if (error instanceof NatsAccessError) {
      throw error;
    }
    await jsm.consumers.update(options.stream, options.name, config);
  }
}
