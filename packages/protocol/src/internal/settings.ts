import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { CodedError } from './coded-error.js';
import { DEFAULT_RETENTION_DAYS } from './streams.js';

/** The levels a service's logger accepts. */
export const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
]);

/** One of {@link LogLevel}'s values. */
export type LogLevel = Type.Static<typeof LogLevel>;

/** Where one setting comes from, and what its variable must hold. */
export interface SettingSource {
  /** The environment variable, for example `NATS_URL`. */
  readonly variable: string;
  /** A good value in words that complete "it must be …". */
  readonly expected: string;
  /** `integer` reads decimal digits as a number; `string` keeps the text. */
  readonly kind: 'string' | 'integer';
  /** The value when the variable is unset or blank; else it is required. */
  readonly default?: string | number;
}

/** A source for every field of a service's settings. */
export type SettingSources<Settings> = {
  readonly [Field in keyof Settings]-?: SettingSource;
};

/** `NATS_URL`, which every service needs. */
export const NATS_URL_SETTING: SettingSource = {
  variable: 'NATS_URL',
  expected: 'a NATS URL such as nats://127.0.0.1:4222',
  kind: 'string',
};

/** `LOG_LEVEL`, one of {@link LogLevel}'s values, `info` when unset. */
export const LOG_LEVEL_SETTING: SettingSource = {
  variable: 'LOG_LEVEL',
  expected: `one of ${LogLevel.anyOf.map((level) => level.const).join(', ')}`,
  kind: 'string',
  default: 'info',
};

/**
 * `RIVER_RETENTION_DAYS`, how long the shared streams keep events and log
 * chunks. Every service applies it at start-up, so all must agree.
 */
export const RETENTION_DAYS_SETTING: SettingSource = {
  variable: 'RIVER_RETENTION_DAYS',
  expected: 'a whole number of days, 1 or more',
  kind: 'integer',
  default: DEFAULT_RETENTION_DAYS,
};

/** Stable code of {@link SettingsError}. */
export const SETTINGS_ERROR_CODE = 'INVALID_CONFIG';

/** An environment variable is missing or holds a value a service refuses. */
export class SettingsError extends CodedError<typeof SETTINGS_ERROR_CODE> {
  /** The environment variable at fault, for example `NATS_URL`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(SETTINGS_ERROR_CODE, message);
    this.variable = variable;
  }
}

/** Optional sign and decimal digits, the only text read as an integer. */
const INTEGER_PATTERN = /^[+-]?\d+$/;

/**
 * Reads a service's settings from environment variables and checks them
 * against `schema`. A blank variable counts as unset: its setting takes its
 * default, or is reported missing when it has none.
 *
 * @throws SettingsError naming the first variable that is missing or
 *   invalid, with a message saying what it must be.
 *
 * @example
 * ```ts
 * const Settings = Type.Object({ natsUrl: Type.String({ minLength: 1 }) });
 * const settings = readSettings(
 *   Settings,
 *   { natsUrl: NATS_URL_SETTING },
 *   process.env,
 * );
 * ```
 */
export function readSettings<Schema extends Type.TObject>(
  schema: Schema,
  sources: SettingSources<Type.Static<Schema>>,
  env: NodeJS.ProcessEnv,
): Type.Static<Schema> {
  const table: Record<string, SettingSource> = sources;
  const raw: Record<string, unknown> = {};
  for (const [field, source] of Object.entries(table)) {
    const value = readVariable(env, source);
    if (value !== undefined) {
      raw[field] = value;
    }
  }

  const validator = Compile(schema);
  if (validator.Check(raw)) {
    return raw as Type.Static<Schema>;
  }

  // Required properties come first, so a missing setting is named first.
  const [first] = validator.Errors(raw);
  const params = first?.params as { requiredProperties?: string[] };
  const field =
    params?.requiredProperties?.[0] ?? first?.instancePath.split('/')[1];
  const source = table[field ?? ''];
  if (source === undefined) {
    throw new Error(`The settings have no variable for field "${field}".`);
  }
  throw refusal(source, env[source.variable]);
}

/** A variable's value as the schema sees it; `undefined` when unset. */
function readVariable(env: NodeJS.ProcessEnv, source: SettingSource): unknown {
  const text = env[source.variable];
  if (text === undefined || text.trim() === '') {
    return source.default;
  }
  if (source.kind === 'integer' && INTEGER_PATTERN.test(text.trim())) {
    return Number(text);
  }
  // Text that is not an integer stays text, so that the schema refuses it.
  return text;
}

function refusal(source: SettingSource, text: string | undefined) {
  const { variable, expected } = source;
  return new SettingsError(
    variable,
    text === undefined || text.trim() === ''
      ? `${variable} is not set: it must be ${expected}.`
      : `${variable} is ${JSON.stringify(text)}, but it must be ${expected}.`,
  );
}
