import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_CREDENTIAL_SETTINGS,
  NATS_URL_SETTING,
  NatsCredentialFields,
  natsCredentialsOf,
  RETENTION_DAYS_SETTING,
  readSettings,
  type SettingSources,
} from '@river/protocol/internal';
import { Type } from '@river/protocol/typebox';

/**
 * Days an entry of the tasks bucket lives after its last write, unless
 * `RIVER_TASK_TTL_DAYS` says: a week.
 */
export const DEFAULT_TASK_TTL_DAYS = 7;

/**
 * How long a request or result handed to the scheduler may stay
 * unacknowledged before it is delivered again, unless
 * `RIVER_SCHEDULER_ACK_WAIT_MS` says: 30 s.
 */
export const DEFAULT_SCHEDULER_ACK_WAIT_MS = 30_000;

/**
 * The longest ack wait accepted: a message redelivered after a crash must
 * come back well inside JetStream's two-minute duplicate window, so that
 * what the crashed scheduler published is dropped when it is repeated.
 */
const MAX_ACK_WAIT_MS = 60_000;

/**
 * How many tasks a dispatch queue may hold per slot of its live
 * sandboxes, running or waiting, unless `RIVER_QUEUE_AHEAD` says: 2.
 */
export const DEFAULT_QUEUE_AHEAD = 2;

/** The scheduler's settings, as read from the environment. */
export const SchedulerConfig = Type.Object({
  /** One or more comma-separated NATS server URLs (`NATS_URL`). */
  natsUrl: Type.String({ minLength: 1 }),
  /** NATS credentials (`RIVER_NATS_USER` and one secret); none unless set. */
  ...NatsCredentialFields,
  /** The logger's level (`LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel,
  /**
   * Days that events and log chunks are kept (`RIVER_RETENTION_DAYS`),
   * when this service creates the streams; existing streams keep their
   * settings.
   */
  retentionDays: Type.Integer({ minimum: 1 }),
  /**
   * Days an entry of the tasks bucket lives after its last write
   * (`RIVER_TASK_TTL_DAYS`): how long a finished task is remembered, and
   * the longest a task may wait in its queue and run.
   */
  taskTtlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  /**
   * How long a delivered request or result may stay unacknowledged
   * (`RIVER_SCHEDULER_ACK_WAIT_MS`): the delay before the work of a
   * scheduler that died is taken up again.
   */
  ackWaitMs: Type.Optional(
    Type.Integer({ minimum: 1_000, maximum: MAX_ACK_WAIT_MS }),
  ),
  /**
   * Tasks a dispatch queue may hold per live slot, running or waiting
   * (`RIVER_QUEUE_AHEAD`): more keeps sandboxes fed between dispatches
   * and shows a larger backlog to an autoscaler; fewer lets a run
   * submitted later overtake sooner.
   */
  queueAhead: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});

/** The scheduler's settings, as read from the environment. */
export type SchedulerConfig = Type.Static<typeof SchedulerConfig>;

const SOURCES: SettingSources<SchedulerConfig> = {
  natsUrl: NATS_URL_SETTING,
  ...NATS_CREDENTIAL_SETTINGS,
  logLevel: LOG_LEVEL_SETTING,
  retentionDays: RETENTION_DAYS_SETTING,
  taskTtlDays: {
    variable: 'RIVER_TASK_TTL_DAYS',
    expected: 'a whole number of days from 1 to 365',
    kind: 'integer',
    default: DEFAULT_TASK_TTL_DAYS,
  },
  ackWaitMs: {
    variable: 'RIVER_SCHEDULER_ACK_WAIT_MS',
    expected: `a whole number of milliseconds from 1000 to ${MAX_ACK_WAIT_MS}`,
    kind: 'integer',
    default: DEFAULT_SCHEDULER_ACK_WAIT_MS,
  },
  queueAhead: {
    variable: 'RIVER_QUEUE_AHEAD',
    expected: 'a whole number of tasks per slot from 1 to 100',
    kind: 'integer',
    default: DEFAULT_QUEUE_AHEAD,
  },
};

/**
 * Reads the scheduler's settings from environment variables.
 *
 * @throws ConfigError naming the variable that is missing or invalid.
 */
export function loadSchedulerConfig(
  env: NodeJS.ProcessEnv = process.env,
): SchedulerConfig {
  const config = readSettings(SchedulerConfig, SOURCES, env);
  // Credentials given by halves are refused here rather than at connect.
  natsCredentialsOf(config);
  return config;
}
