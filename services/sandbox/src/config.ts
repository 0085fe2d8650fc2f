import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_POOL, TOKEN_PATTERN } from '@river/protocol';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { ConfigError } from './errors.js';

/** Tasks run at once when `RIVER_SLOTS` is not set. */
export const DEFAULT_SLOTS = 2;

/** The pino levels `LOG_LEVEL` may name. */
const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
]);

const LOG_LEVELS = LogLevel.anyOf.map((level) => level.const);

/** The sandbox's settings, validated at start-up. */
export const SandboxConfig = Type.Object({
  /** One or more comma-separated NATS server URLs. */
  natsUrl: Type.String({ minLength: 1 }),
  /** The pool whose dispatch queue this sandbox pulls from. */
  pool: Type.String({ pattern: TOKEN_PATTERN.source }),
  /** Tasks run at once. */
  slots: Type.Integer({ minimum: 1, maximum: 1_024 }),
  /** Directory under which each attempt gets its scratch workspace. */
  workDir: Type.String({ minLength: 1 }),
  /** This sandbox's name in events and connection lists. */
  sandboxId: Type.String({ minLength: 1 }),
  /** Pino log level. */
  logLevel: LogLevel,
});

/** The sandbox's settings, validated at start-up. */
export type SandboxConfig = Type.Static<typeof SandboxConfig>;

const VARIABLES: Record<keyof SandboxConfig, string> = {
  natsUrl: 'NATS_URL',
  pool: 'RIVER_POOL',
  slots: 'RIVER_SLOTS',
  workDir: 'RIVER_WORK_DIR',
  sandboxId: 'RIVER_SANDBOX_ID',
  logLevel: 'LOG_LEVEL',
};

const validator = Compile(SandboxConfig);

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function integer(value: string | undefined): number | undefined {
  const text = present(value);
  return text === undefined ? undefined : Number(text.trim());
}

/**
 * Reads the sandbox's settings from environment variables.
 *
 * @throws ConfigError naming the variable when one is missing or invalid.
 */
export function loadSandboxConfig(
  env: NodeJS.ProcessEnv = process.env,
): SandboxConfig {
  const workDir = present(env.RIVER_WORK_DIR);
  const config = {
    natsUrl: present(env.NATS_URL) ?? '',
    pool: present(env.RIVER_POOL) ?? DEFAULT_POOL,
    slots: integer(env.RIVER_SLOTS) ?? DEFAULT_SLOTS,
    workDir: resolve(workDir ?? join(tmpdir(), 'river-sandbox')),
    sandboxId: present(env.RIVER_SANDBOX_ID) ?? `${hostname()}-${process.pid}`,
    logLevel: present(env.LOG_LEVEL) ?? 'info',
  };
  if (validator.Check(config)) {
    return config;
  }

  const [first] = validator.Errors(config);
  const field = (first?.instancePath ?? '').split('/')[1] ?? '';
  const variable = VARIABLES[field as keyof SandboxConfig] ?? 'environment';
  const raw = env[variable];
  const problem =
    raw === undefined || raw.trim() === ''
      ? 'is required'
      : `is ${JSON.stringify(raw)}, which ${first?.message ?? 'is invalid'}`;
  throw new ConfigError(
    variable,
    `${variable} ${problem}: ${hint(field as keyof SandboxConfig)}.`,
  );
}

function hint(field: keyof SandboxConfig): string {
  switch (field) {
    case 'natsUrl':
      return 'set it to a server URL such as nats://127.0.0.1:4222';
    case 'pool':
      return 'use letters, digits, "_" or "-" only';
    case 'slots':
      return 'use a whole number from 1 to 1024';
    case 'logLevel':
      return `use one of ${LOG_LEVELS.join(', ')}`;
    default:
      return 'give it a non-empty value';
  }
}
