import { hostname } from 'node:os';
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

/** Heap limit of one run's job logic when `RIVER_RUN_MEMORY_MB` is unset. */
const DEFAULT_RUN_MEMORY_MB = 256;
/** Stall limit of job logic when `RIVER_JOB_STALL_MS` is unset. */
const DEFAULT_JOB_STALL_MS = 30_000;
/** CPU time of one run's job logic when `RIVER_RUN_CPU_MS` is unset. */
const DEFAULT_RUN_CPU_MS = 300_000;
/** Tasks one run may ask for when `RIVER_RUN_MAX_TASKS` is unset. */
const DEFAULT_RUN_MAX_TASKS = 20_000;
/** Run lease when `RIVER_RUN_LEASE_MS` is unset. */
const DEFAULT_RUN_LEASE_MS = 10_000;

/** The controller's settings. */
export const ControllerConfig = Type.Object({
  /** NATS server URL(s), comma-separated. */
  natsUrl: Type.String({ minLength: 1 }),
  /** NATS credentials (`RIVER_NATS_USER` and one secret); none unless set. */
  ...NatsCredentialFields,
  /** This replica's name in events and logs. */
  controllerId: Type.String({ minLength: 1 }),
  /** Heap and ArrayBuffers of one run's job logic, in MiB. */
  runMemoryLimitMb: Type.Integer({ minimum: 16 }),
  /** CPU time one run's job logic may use, in ms (whole seconds). */
  runCpuLimitMs: Type.Integer({ minimum: 1_000 }),
  /** How many tasks one run may ask for; the job asking for more fails. */
  runMaxTasks: Type.Integer({ minimum: 1 }),
  /** How a run's job logic process is confined; `auto`: bwrap if it works. */
  jobSandbox: Type.Union([
    Type.Literal('auto'),
    Type.Literal('bwrap'),
    Type.Literal('process'),
  ]),
  /** How long job logic may hold its thread without yielding. */
  jobStallLimitMs: Type.Integer({ minimum: 100 }),
  /**
   * How long a controller that stopped renewing its runs keeps them: after
   * this, another controller takes them over.
   */
  runLeaseMs: Type.Integer({ minimum: 1_000 }),
  /**
   * Part of every task's cache key: changing it makes every result
   * recorded before a miss.
   */
  cacheSalt: Type.String(),
  /** Pino log level. */
  logLevel: LogLevel,
});

/** The controller's settings. */
export type ControllerConfig = Type.Static<typeof ControllerConfig>;

const SOURCES: SettingSources<ControllerConfig> = {
  natsUrl: NATS_URL_SETTING,
  ...NATS_CREDENTIAL_SETTINGS,
  controllerId: {
    variable: 'RIVER_CONTROLLER_ID',
    expected: 'a name for this controller',
    kind: 'string',
    default: `controller-${hostname()}-${process.pid}`,
  },
  runMemoryLimitMb: {
    variable: 'RIVER_RUN_MEMORY_MB',
    expected: 'a whole number of MiB, 16 or more',
    kind: 'integer',
    default: DEFAULT_RUN_MEMORY_MB,
  },
  runCpuLimitMs: {
    variable: 'RIVER_RUN_CPU_MS',
    expected: 'a whole number of milliseconds, 1000 or more',
    kind: 'integer',
    default: DEFAULT_RUN_CPU_MS,
  },
  runMaxTasks: {
    variable: 'RIVER_RUN_MAX_TASKS',
    expected: 'a whole number of tasks, 1 or more',
    kind: 'integer',
    default: DEFAULT_RUN_MAX_TASKS,
  },
  jobSandbox: {
    variable: 'RIVER_JOB_SANDBOX',
    expected: 'one of auto, bwrap, process',
    kind: 'string',
    default: 'auto',
  },
  jobStallLimitMs: {
    variable: 'RIVER_JOB_STALL_MS',
    expected: 'a whole number of milliseconds, 100 or more',
    kind: 'integer',
    default: DEFAULT_JOB_STALL_MS,
  },
  runLeaseMs: {
    variable: 'RIVER_RUN_LEASE_MS',
    expected: 'a whole number of milliseconds, 1000 or more',
    kind: 'integer',
    default: DEFAULT_RUN_LEASE_MS,
  },
  cacheSalt: {
    variable: 'RIVER_CACHE_SALT',
    expected: 'any text',
    kind: 'string',
    default: '',
  },
  logLevel: LOG_LEVEL_SETTING,
};

/**
 * Reads the controller's settings from environment variables.
 *
 * @throws SettingsError naming the variable that is missing or invalid.
 */
export function loadControllerConfig(
  env: NodeJS.ProcessEnv = process.env,
): ControllerConfig {
  const config = readSettings(ControllerConfig, SOURCES, env);
  // Credentials given by halves are refused here rather than at connect.
  natsCredentialsOf(config);
  return config;
}
