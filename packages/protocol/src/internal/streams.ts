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

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;
const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;

/** How long events and log chunks are kept, unless configured. */
export const DEFAULT_RETENTION_DAYS = 30;

type StreamName = (typeof Streams)[keyof typeof Streams];

/** A stream configuration with its name. */
export type StreamSettings = Partial<StreamConfig> & { name: string };

function workQueue(name: StreamName, subject: string): StreamSettings {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: DUPLICATE_WINDOW_NS,
  };
}

function history(
  name: StreamName,
  subject: string,
  retentionDays: number,
): StreamSettings {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: retentionDays * DAY_NS,
    duplicate_window: DUPLICATE_WINDOW_NS,
  };
}

/** The configuration of every River stream. */
export function streamConfigs(
  retentionDays = DEFAULT_RETENTION_DAYS,
): Record<StreamName, StreamSettings> {
  return {
    [Streams.submissions]: workQueue(Streams.submissions, Subjects.submit),
    [Streams.taskRequests]: workQueue(
      Streams.taskRequests,
      Subjects.taskRequest,
    ),
    [Streams.dispatch]: workQueue(Streams.dispatch, Subjects.dispatchAll),
    [Streams.taskResults]: workQueue(Streams.taskResults, Subjects.taskResult),
    [Streams.events]: history(
      Streams.events,
      Subjects.allEvents,
      retentionDays,
    ),
    [Streams.logs]: history(Streams.logs, Subjects.allLogChunks, retentionDays),
  };
}

/**
 * Creates River's streams that do not exist yet. An existing stream is left
 * as it is, so that a service started with other defaults never undoes an
 * operator's settings. Safe to call from every service at once.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  retentionDays = DEFAULT_RETENTION_DAYS,
): Promise<void> {
  for (const config of Object.values(streamConfigs(retentionDays))) {
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
    max_ack_pending: 10_000,
  };
  try {
    await jsm.consumers.add(options.stream, config);
  } catch {
    await jsm.consumers.update(options.stream, options.name, config);
  }
}
