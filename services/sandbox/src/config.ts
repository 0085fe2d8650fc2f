import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Consumers,
  DEFAULT_POOL,
  labelSet,
  RunnerKind,
  TOKEN_PATTERN,
} from '@river/protocol';
import {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_CREDENTIAL_SETTINGS,
  NATS_URL_SETTING,
  NatsCredentialFields,
  natsCredentialsOf,
  readSettings,
  type SettingSources,
  SettingsError,
} from '@river/protocol/internal';
import { Type } from '@river/protocol/typebox';
import type { SandboxLimits } from './runners/limits.js';

/** Output a task may print unless `RIVER_MAX_OUTPUT_BYTES` says: 1 GiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

/** Tasks run at once when `RIVER_SLOTS` is not set. */
export const DEFAULT_SLOTS = 2;

/**
 * How long a running attempt may go without a heartbeat before it counts
 * as lost, unless `RIVER_TASK_LOST_MS` says: 30 s.
 */
export const DEFAULT_TASK_LOST_MS = 30_000;

/**
 * How long a stopping sandbox lets its running tasks finish before it
 * hands them back, unless `RIVER_DRAIN_GRACE_MS` says: 20 s, so that the
 * hand-back fits in Kubernetes' default 30 s termination grace period.
 */
export const DEFAULT_DRAIN_GRACE_MS = 20_000;

/** The longest lost timeout or drain grace period accepted: an hour. */
const MAX_SETTING_MS = 3_600_000;

/**
 * Memory a task's processes may use together unless
 * `RIVER_TASK_MEMORY_MB` says: 4 GiB.
 */
export const DEFAULT_TASK_MEMORY_MB = 4_096;

/**
 * Processes and threads a task may run at once unless
 * `RIVER_TASK_PROCESSES` says.
 */
export const DEFAULT_TASK_PROCESSES = 1_024;

/** Files each task process may hold open unless `RIVER_TASK_OPEN_FILES` says. */
export const DEFAULT_TASK_OPEN_FILES = 4_096;

/**
 * Disk a task may fill in its workspace and /tmp unless
 * `RIVER_TASK_DISK_MB` says: 10 GiB.
 */
export const DEFAULT_TASK_DISK_MB = 10_240;

/**
 * Files and directories a task may create in its workspace and /tmp
 * unless `RIVER_TASK_FILES` says: empty files take inodes, not bytes.
 */
export const DEFAULT_TASK_FILES = 100_000;

/** A runner kind, in the text of a setting. */
const RUNNER_PATTERN = '(process|bwrap|docker|kubernetes)';

/** The sandbox's settings, validated at start-up. */
export const SandboxConfig = Type.Object({
  /** One or more comma-separated NATS server URLs. */
  natsUrl: Type.String({ minLength: 1 }),
  /** NATS credentials (`RIVER_NATS_USER` and one secret); none unless set. */
  ...NatsCredentialFields,
  /** The pool whose dispatch queue this sandbox pulls from. */
  pool: Type.String({ pattern: TOKEN_PATTERN.source }),
  /**
   * Comma-separated labels this sandbox offers (`RIVER_LABELS`), such as
   * `gcc,docker`: it takes only tasks asking for some of them, or none.
   */
  labels: Type.Optional(
    Type.String({
      pattern: '^\\s*([A-Za-z0-9_-]+\\s*(,\\s*[A-Za-z0-9_-]+\\s*)*)?$',
    }),
  ),
  /** Tasks run at once. */
  slots: Type.Integer({ minimum: 1, maximum: 1_024 }),
  /** Directory under which each attempt gets its scratch workspace. */
  workDir: Type.String({ minLength: 1 }),
  /** This sandbox's name in events and connection lists. */
  sandboxId: Type.String({ minLength: 1 }),
  /** Pino log level. */
  logLevel: LogLevel,
  /** Output a task may print, stdout and stderr together, before a stop. */
  maxOutputBytes: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * Time without a heartbeat after which a running attempt is lost: the
   * ack wait of the pool's dispatch consumer. Heartbeats go at a third.
   */
  taskLostMs: Type.Optional(
    Type.Integer({ minimum: 1_000, maximum: MAX_SETTING_MS }),
  ),
  /** Time a stopping sandbox gives its running tasks to finish. */
  drainGraceMs: Type.Optional(
    Type.Integer({ minimum: 0, maximum: MAX_SETTING_MS }),
  ),
  /** The private key that opens secrets, as `river secret keygen` prints. */
  secretsPrivateKey: Type.Optional(Type.String({ minLength: 1 })),
  /** A file holding that private key, instead of the key itself. */
  secretsPrivateKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The runner of tasks that name none; unset, `bwrap` when it works on
   * this host and `process` otherwise.
   */
  runner: Type.Optional(RunnerKind),
  /**
   * Comma-separated runners tasks may use; unset, every runner except
   * `process`, which only the default runner setting can allow then.
   */
  allowedRunners: Type.Optional(
    Type.String({
      pattern: `^\\s*${RUNNER_PATTERN}\\s*(,\\s*${RUNNER_PATTERN}\\s*)*$`,
    }),
  ),
  /** The most memory, in MiB, a task's processes may use together. */
  taskMemoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The most processes and threads a task may run at once. */
  taskProcesses: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The most files each of a task's processes may hold open. */
  taskOpenFiles: Type.Optional(Type.Integer({ minimum: 8 })),
  /** The most disk, in MiB, a task may fill in its workspace and /tmp. */
  taskDiskMb: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The most files and directories a task's workspace and /tmp may hold. */
  taskFiles: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * Comma-separated host paths the bwrap runner shows tasks read-only,
   * besides the system directories.
   */
  readOnlyPaths: Type.Optional(
    Type.String({ pattern: '^\\s*/[^,]*(,\\s*/[^,]*)*$' }),
  ),
  /**
   * The Docker engine the docker runner uses, `unix:///path/to/socket`;
   * no docker runner unless set.
   */
  dockerHost: Type.Optional(Type.String({ pattern: '^unix:///.+' })),
  /**
   * The Kubernetes API server the kubernetes runner creates Jobs on, an
   * `https://` (or, through `kubectl proxy`, `http://`) URL; no
   * kubernetes runner unless set.
   */
  kubernetesApi: Type.Optional(Type.String({ pattern: '^https?://.+' })),
  /** The namespace of the kubernetes runner's Jobs. */
  kubernetesNamespace: Type.Optional(
    Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }),
  ),
  /**
   * A file holding the bearer token for the API server, read again for
   * every call; unset, the pod's service account token.
   */
  kubernetesTokenFile: Type.Optional(Type.String({ minLength: 1 })),
  /** The CA bundle the API server's certificate is checked against. */
  kubernetesCaFile: Type.Optional(Type.String({ minLength: 1 })),
});

/** The sandbox's settings, validated at start-up. */
export type SandboxConfig = Type.Static<typeof SandboxConfig>;

const SOURCES: SettingSources<SandboxConfig> = {
  natsUrl: NATS_URL_SETTING,
  ...NATS_CREDENTIAL_SETTINGS,
  pool: {
    variable: 'RIVER_POOL',
    expected: 'a pool name of letters, digits, "_" or "-"',
    kind: 'string',
    default: DEFAULT_POOL,
  },
  labels: {
    variable: 'RIVER_LABELS',
    expected:
      'comma-separated labels of letters, digits, "_" or "-", such as gcc,docker',
    kind: 'string',
  },
  slots: {
    variable: 'RIVER_SLOTS',
    expected: 'a whole number from 1 to 1024',
    kind: 'integer',
    default: DEFAULT_SLOTS,
  },
  workDir: {
    variable: 'RIVER_WORK_DIR',
    expected: 'a directory path',
    kind: 'string',
    default: join(tmpdir(), 'river-sandbox'),
  },
  sandboxId: {
    variable: 'RIVER_SANDBOX_ID',
    expected: 'a name for this sandbox',
    kind: 'string',
    default: `${hostname()}-${process.pid}`,
  },
  logLevel: LOG_LEVEL_SETTING,
  maxOutputBytes: {
    variable: 'RIVER_MAX_OUTPUT_BYTES',
    expected: 'a whole number of bytes, 1 or more',
    kind: 'integer',
    default: DEFAULT_MAX_OUTPUT_BYTES,
  },
  taskLostMs: {
    variable: 'RIVER_TASK_LOST_MS',
    expected: 'a whole number of milliseconds from 1000 to 3600000',
    kind: 'integer',
    default: DEFAULT_TASK_LOST_MS,
  },
  drainGraceMs: {
    variable: 'RIVER_DRAIN_GRACE_MS',
    expected: 'a whole number of milliseconds from 0 to 3600000',
    kind: 'integer',
    default: DEFAULT_DRAIN_GRACE_MS,
  },
  secretsPrivateKey: {
    variable: 'RIVER_SECRETS_PRIVATE_KEY',
    expected: 'a private key as river secret keygen prints it',
    kind: 'string',
  },
  secretsPrivateKeyFile: {
    variable: 'RIVER_SECRETS_PRIVATE_KEY_FILE',
    expected: 'the path of a file holding that private key',
    kind: 'string',
  },
  runner: {
    variable: 'RIVER_RUNNER',
    expected: 'one of process, bwrap, docker or kubernetes',
    kind: 'string',
  },
  allowedRunners: {
    variable: 'RIVER_ALLOWED_RUNNERS',
    expected: 'a comma-separated list of process, bwrap, docker and kubernetes',
    kind: 'string',
  },
  taskMemoryMb: {
    variable: 'RIVER_TASK_MEMORY_MB',
    expected: 'a whole number of MiB, 1 or more',
    kind: 'integer',
    default: DEFAULT_TASK_MEMORY_MB,
  },
  taskProcesses: {
    variable: 'RIVER_TASK_PROCESSES',
    expected: 'a whole number of processes, 1 or more',
    kind: 'integer',
    default: DEFAULT_TASK_PROCESSES,
  },
  taskOpenFiles: {
    variable: 'RIVER_TASK_OPEN_FILES',
    expected: 'a whole number of files, 8 or more',
    kind: 'integer',
    default: DEFAULT_TASK_OPEN_FILES,
  },
  taskDiskMb: {
    variable: 'RIVER_TASK_DISK_MB',
    expected: 'a whole number of MiB, 1 or more',
    kind: 'integer',
    default: DEFAULT_TASK_DISK_MB,
  },
  taskFiles: {
    variable: 'RIVER_TASK_FILES',
    expected: 'a whole number of files and directories, 1 or more',
    kind: 'integer',
    default: DEFAULT_TASK_FILES,
  },
  readOnlyPaths: {
    variable: 'RIVER_TASK_READ_ONLY_PATHS',
    expected: 'a comma-separated list of absolute paths',
    kind: 'string',
  },
  dockerHost: {
    variable: 'RIVER_DOCKER_HOST',
    expected: 'a unix socket address such as unix:///run/docker.sock',
    kind: 'string',
  },
  kubernetesApi: {
    variable: 'RIVER_K8S_API',
    expected: 'an http:// or https:// URL of a Kubernetes API server',
    kind: 'string',
  },
  kubernetesNamespace: {
    variable: 'RIVER_K8S_NAMESPACE',
    expected: 'a Kubernetes namespace name (lowercase letters, digits, -)',
    kind: 'string',
  },
  kubernetesTokenFile: {
    variable: 'RIVER_K8S_TOKEN_FILE',
    expected: 'the path of a file holding a bearer token',
    kind: 'string',
  },
  kubernetesCaFile: {
    variable: 'RIVER_K8S_CA_FILE',
    expected: 'the path of a PEM file of CA certificates',
    kind: 'string',
  },
};

/** The ceilings on every task's limits that the settings give. */
export function sandboxLimits(config: SandboxConfig): SandboxLimits {
  return {
    memoryMb: config.taskMemoryMb ?? DEFAULT_TASK_MEMORY_MB,
    processes: config.taskProcesses ?? DEFAULT_TASK_PROCESSES,
    openFiles: config.taskOpenFiles ?? DEFAULT_TASK_OPEN_FILES,
    diskMb: config.taskDiskMb ?? DEFAULT_TASK_DISK_MB,
    files: config.taskFiles ?? DEFAULT_TASK_FILES,
  };
}

/**
 * Reads the sandbox's settings from environment variables.
 *
 * @throws ConfigError naming the variable when one is missing or invalid.
 */
export function loadSandboxConfig(
  env: NodeJS.ProcessEnv = process.env,
): SandboxConfig {
  const config = readSettings(SandboxConfig, SOURCES, env);
  // Credentials given by halves are refused here rather than at connect.
  natsCredentialsOf(config);
  const queue = Consumers.sandboxPool(config.pool, sandboxLabels(config));
  if (queue.length > MAX_QUEUE_NAME) {
    throw new SettingsError(
      'RIVER_LABELS',
      `RIVER_POOL and RIVER_LABELS together name the queue ${queue.slice(0, 40)}…, ` +
        `${queue.length} characters long; NATS takes at most ` +
        `${MAX_QUEUE_NAME}: use fewer or shorter labels.`,
    );
  }
  return { ...config, workDir: resolve(config.workDir) };
}

/**
 * The longest name of a sandbox's queue consumer (`sandbox-<pool>~<labels>`)
 * accepted, well inside what nats-server takes for a consumer name.
 */
const MAX_QUEUE_NAME = 200;

/** The labels a sandbox offers, sorted and without repeats. */
export function sandboxLabels(config: Pick<SandboxConfig, 'labels'>): string[] {
  const labels = (config.labels ?? '')
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
  return labelSet(labels);
}
