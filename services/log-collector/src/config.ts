import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_CREDENTIAL_SETTINGS,
  NATS_URL_SETTING,
  NatsCredentialFields,
  natsCredentialsOf,
  RETENTION_DAYS_SETTING,
  readSettings,
  type SettingSource,
  type SettingSources,
} from '@river/protocol/internal';
import { Type } from '@river/protocol/typebox';

/** The log-collector's settings, as read from the environment. */
export const LogCollectorConfig = Type.Object({
  /** One or more comma-separated NATS server URLs (`NATS_URL`). */
  natsUrl: Type.String({ minLength: 1 }),
  /** NATS credentials (`RIVER_NATS_USER` and one secret); none unless set. */
  ...NatsCredentialFields,
  /** The logger's level (`LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel,
  /**
   * Days that events, log chunks and log index entries are kept
   * (`RIVER_RETENTION_DAYS`), when this service creates the streams;
   * existing streams keep their settings.
   */
  retentionDays: Type.Integer({ minimum: 1 }),
  /**
   * Servers of a NATS cluster that keep a copy of each stream and of the
   * log index, when this service creates them (`RIVER_STREAM_REPLICAS`).
   */
  streamReplicas: Type.Integer({ minimum: 1, maximum: 5 }),
});

/** The log-collector's settings, as read from the environment. */
export type LogCollectorConfig = Type.Static<typeof LogCollectorConfig>;

/**
 * `RIVER_STREAM_REPLICAS`. The shared stream set-up reads the same
 * variable, so services that do not list it still create streams alike.
 */
const STREAM_REPLICAS_SETTING: SettingSource = {
  variable: 'RIVER_STREAM_REPLICAS',
  expected: 'a whole number from 1 to 5 (3 on a three-node cluster)',
  kind: 'integer',
  default: 1,
};

const SOURCES: SettingSources<LogCollectorConfig> = {
  natsUrl: NATS_URL_SETTING,
  ...NATS_CREDENTIAL_SETTINGS,
  logLevel: LOG_LEVEL_SETTING,
  retentionDays: RETENTION_DAYS_SETTING,
  streamReplicas: STREAM_REPLICAS_SETTING,
};

/**
 * Reads the log-collector's settings from environment variables.
 *
 * @throws ConfigError naming the variable that is missing or invalid.
 */
export function loadLogCollectorConfig(
  env: NodeJS.ProcessEnv = process.env,
): LogCollectorConfig {
  const config = readSettings(LogCollectorConfig, SOURCES, env);
  // Credentials given by halves are refused here rather than at connect.
  natsCredentialsOf(config);
  return config;
}
