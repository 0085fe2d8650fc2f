import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_CREDENTIAL_SETTINGS,
  NATS_URL_SETTING,
  NatsCredentialFields,
  natsCredentialsOf,
  readSettings,
  type SettingSources,
} from '@river/protocol/internal';
import { Type } from '@river/protocol/typebox';

/** The gateway's settings, as read from the environment. */
export const GatewayConfig = Type.Object({
  /** One or more comma-separated NATS server URLs (`NATS_URL`). */
  natsUrl: Type.String({ minLength: 1 }),
  /** NATS credentials (`RIVER_NATS_USER` and one secret); none unless set. */
  ...NatsCredentialFields,
  /** The logger's level (`LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel,
  /** The address the HTTP server listens on (`RIVER_GATEWAY_HOST`). */
  host: Type.String({ minLength: 1 }),
  /** Its port (`RIVER_GATEWAY_PORT`); 0 picks a free one. */
  port: Type.Integer({ minimum: 0, maximum: 65_535 }),
  /**
   * Access tokens with their roles (`RIVER_GATEWAY_TOKENS`), as
   * `viewer:<token>,operator:<token>`; several of each role may be given.
   */
  tokens: Type.String({ minLength: 1 }),
  /**
   * How long a live stream may stay silent before a comment is sent to
   * keep proxies from closing it (`RIVER_GATEWAY_HEARTBEAT_MS`).
   */
  heartbeatMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
  /** The built UI's folder (`RIVER_UI_DIR`); the UI package's by default. */
  uiDir: Type.Optional(Type.String({ minLength: 1 })),
});

/** The gateway's settings, as read from the environment. */
export type GatewayConfig = Type.Static<typeof GatewayConfig>;

const SOURCES: SettingSources<GatewayConfig> = {
  natsUrl: NATS_URL_SETTING,
  ...NATS_CREDENTIAL_SETTINGS,
  logLevel: LOG_LEVEL_SETTING,
  host: {
    variable: 'RIVER_GATEWAY_HOST',
    expected: 'an address to listen on, such as 127.0.0.1 or 0.0.0.0',
    kind: 'string',
    default: '127.0.0.1',
  },
  port: {
    variable: 'RIVER_GATEWAY_PORT',
    expected: 'a port number from 0 to 65535 (0 picks a free port)',
    kind: 'integer',
    default: 7070,
  },
  tokens: {
    variable: 'RIVER_GATEWAY_TOKENS',
    expected:
      'a comma-separated list of role:token pairs, roles viewer or ' +
      'operator, tokens of 16 or more characters',
    kind: 'string',
  },
  heartbeatMs: {
    variable: 'RIVER_GATEWAY_HEARTBEAT_MS',
    expected: 'milliseconds from 100 to 120000',
    kind: 'integer',
    default: 15_000,
  },
  uiDir: {
    variable: 'RIVER_UI_DIR',
    expected: 'the folder of the built UI (packages/ui/dist)',
    kind: 'string',
  },
};

/**
 * Reads the gateway's settings from environment variables.
 *
 * @throws SettingsError naming the variable that is missing or invalid.
 */
export function loadGatewayConfig(
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  const config = readSettings(GatewayConfig, SOURCES, env);
  natsCredentialsOf(config);
  return config;
}
