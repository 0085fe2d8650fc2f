import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_URL_SETTING,
  RETENTION_DAYS_SETTING,
  readSettings,
  type SettingSources,
} from '@river/protocol/internal';
import Type from 'typebox';

/** The scheduler's settings, as read from the environment. */
export const SchedulerConfig = Type.Object({
  /** One or more comma-separated NATS server URLs (`NATS_URL`). */
  natsUrl: Type.String({ minLength: 1 }),
  /** The logger's level (`LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel,
  /**
   * Days that events and log chunks are kept (`RIVER_RETENTION_DAYS`),
   * when this service creates the streams; existing streams keep their
   * settings.
   */
  retentionDays: Type.Integer({ minimum: 1 }),
});

/** The scheduler's settings, as read from the environment. */
export type SchedulerConfig = Type.Static<typeof SchedulerConfig>;

const SOURCES: SettingSources<SchedulerConfig> = {
  natsUrl: NATS_URL_SETTING,
  logLevel: LOG_LEVEL_SETTING,
  retentionDays: RETENTION_DAYS_SETTING,
};

/**
 * Reads the scheduler's settings from environment variables.
 *
 * @throws ConfigError naming the variable that is missing or invalid.
 */
export function loadSchedulerConfig(
  env: NodeJS.ProcessEnv = process.env,
): SchedulerConfig {
  return readSettings(SchedulerConfig, SOURCES, env);
}
