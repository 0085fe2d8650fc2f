import { Compile, Type } from '../typebox.js';
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

/**
 * The fields every service's settings hold for its NATS credentials, to
 * spread into its settings schema. Each is optional: without any, the
 * service connects with no credentials, which a server with users
 * refuses. Read them with {@link natsCredentialsOf}.
 */
export const NatsCredentialFields = {
  /** The NATS user, which is also the role: `controller`, `sdk`, … */
  natsUser: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
  /** The user's password, for a server that lists it with one. */
  natsPassword: Type.Optional(Type.String({ minLength: 1 })),
  /** A file holding the user's nkey seed (`SU…`). */
  natsNkeySeedFile: Type.Optional(Type.String({ minLength: 1 })),
  /** A NATS `.creds` file (a user JWT and its seed). */
  natsCredsFile: Type.Optional(Type.String({ minLength: 1 })),
};

/** The credential fields of a service's settings, as read. */
export type NatsCredentialSettings = Type.Static<
  Type.TObject<typeof NatsCredentialFields>
>;

/** The variables of {@link NatsCredentialFields}, for a service's sources. */
export const NATS_CREDENTIAL_SETTINGS: SettingSources<NatsCredentialSettings> =
  {
    natsUser: {
      variable: 'RIVER_NATS_USER',
      expected: "a NATS user name of letters, digits, '-' and '_'",
      kind: 'string',
    },
    natsPassword: {
      variable: 'RIVER_NATS_PASSWORD',
      expected: "the password of RIVER_NATS_USER's user",
      kind: 'string',
    },
    natsNkeySeedFile: {
      variable: 'RIVER_NATS_NKEY_SEED_FILE',
      expected: "the path of a file holding the user's nkey seed",
      kind: 'string',
    },
    natsCredsFile: {
      variable: 'RIVER_NATS_CREDS',
      expected: 'the path of a NATS .creds file',
      kind: 'string',
    },
  };

/**
 * How a service or client proves who it is to NATS: a user name (which
 * also names its role in errors and its reply subjects) and one secret.
 */
export type NatsCredentials =
  | { user: string; password: string }
  | { user: string; nkeySeedFile: string }
  | { user: string; credsFile: string };

/**
 * The credentials that settings name, or `undefined` when they name none.
 *
 * @throws SettingsError when a secret is given without RIVER_NATS_USER, a
 *   user without a secret, or more than one secret.
 */
export function natsCredentialsOf(
  settings: NatsCredentialSettings,
): NatsCredentials | undefined {
  const {
    natsUser: user,
    natsPassword,
    natsNkeySeedFile,
    natsCredsFile,
  } = settings;
  const secrets = [
    natsPassword === undefined ? [] : [['RIVER_NATS_PASSWORD', 'password']],
    natsNkeySeedFile === undefined
      ? []
      : [['RIVER_NATS_NKEY_SEED_FILE', 'nkeySeedFile']],
    natsCredsFile === undefined ? [] : [['RIVER_NATS_CREDS', 'credsFile']],
  ].flat();
  if (user === undefined) {
    const [given] = secrets;
    if (given === undefined) {
      return undefined;
    }
    throw new SettingsError(
      'RIVER_NATS_USER',
      `RIVER_NATS_USER is not set, but ${given[0]} is: set it to the ` +
        'NATS user those credentials belong to, for example controller.',
    );
  }
  if (secrets.length !== 1) {
    const names = secrets.map(([variable]) => variable).join(' and ');
    throw new SettingsError(
      secrets.length === 0 ? 'RIVER_NATS_NKEY_SEED_FILE' : 'RIVER_NATS_USER',
      secrets.length === 0
        ? `RIVER_NATS_USER is ${JSON.stringify(user)}, but no credentials ` +
            'are set: set RIVER_NATS_NKEY_SEED_FILE, RIVER_NATS_PASSWORD or ' +
            'RIVER_NATS_CREDS.'
        : `${names} are both set: give RIVER_NATS_USER one of them.`,
    );
  }
  if (natsPassword !== undefined) {
    return { user, password: natsPassword };
  }
  if (natsNkeySeedFile !== undefined) {
    return { user, nkeySeedFile: natsNkeySeedFile };
  }
  return { user, credsFile: natsCredsFile as string };
}

/**
 * Reads NATS credentials from environment variables alone, as the `river`
 * command does.
 *
 * @throws SettingsError as {@link natsCredentialsOf} does.
 */
export function natsCredentialsFromEnv(
  env: NodeJS.ProcessEnv,
): NatsCredentials | undefined {
  return natsCredentialsOf(
    readSettings(
      Type.Object(NatsCredentialFields),
      NATS_CREDENTIAL_SETTINGS,
      env,
    ),
  );
}

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
