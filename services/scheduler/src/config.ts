import { DEFAULT_RETENTION_DAYS } from '@river/protocol/internal';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { ConfigError } from './errors.js';

/** The levels a service's logger accepts. */
const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
]);

const LOG_LEVELS = LogLevel.anyOf.map((literal) => literal.const);

/** The scheduler's settings, as read from the environment. */
export const SchedulerConfig = Type.Object({
  /** One or more comma-separated NATS server URLs (`NATS_URL`). */
  natsUrl: Type.String({ minLength: 1 }),
  /** The logger's level (`LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel,
  /**
   * Days that events and log chunks are kept (`RIVER_RETENTION_DAYS`).
   * Every service applies it to the shared streams at start-up, so all of
   * them must be given the same value.
   */
  retentionDays: Type.Integer({ minimum: 1 }),
});

/** The scheduler's settings, as read from the environment. */
export type SchedulerConfig = Type.Static<typeof SchedulerConfig>;

/** Each setting's variable, and what it must hold. */
const VARIABLES: Record<keyof SchedulerConfig, [string, string]> = {
  natsUrl: ['NATS_URL', 'a NATS URL such as nats://127.0.0.1:4222'],
  logLevel: ['LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`],
  retentionDays: ['RIVER_RETENTION_DAYS', 'a whole number of days, 1 or more'],
};

const validator = Compile(SchedulerConfig);

/**
 * Reads the scheduler's settings from environment variables.
 *
 * @throws ConfigError naming the variable that is missing or invalid.
 */
export function loadSchedulerConfig(
  env: NodeJS.ProcessEnv = process.env,
): SchedulerConfig {
  const raw: Record<string, unknown> = {
    logLevel: env.LOG_LEVEL || 'info',
    retentionDays: integerOr(env.RIVER_RETENTION_DAYS, DEFAULT_RETENTION_DAYS),
  };
  if (env.NATS_URL !== undefined && env.NATS_URL !== '') {
    raw.natsUrl = env.NATS_URL;
  }

  if (validator.Check(raw)) {
    return raw;
  }
  const [first] = validator.Errors(raw);
  const missing = (first?.params as { requiredProperties?: string[] })
    ?.requiredProperties?.[0];
  const field = (missing ??
    first?.instancePath.slice(1)) as keyof SchedulerConfig;
  const [variable, expected] = VARIABLES[field] ?? ['the environment', ''];
  const value = env[variable];
  throw new ConfigError(
    variable,
    value === undefined || value === ''
      ? `${variable} is not set: it must be ${expected}.`
      : `${variable} is ${JSON.stringify(value)}, but it must be ${expected}.`,
  );
}

/** A decimal integer from the environment, or the string to be refused. */
function integerOr(value: string | undefined, fallback: number): unknown {
  if (value === undefined || value === '') {
    return fallback;
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}
