import { Type } from '../typebox.js';
import { TaskCache } from './cache.js';
import { FileRef, SchemaVersion, Timestamp, Token } from './common.js';
import { AttemptOutcome } from './outcome.js';

/**
 * How a sandbox isolates a task: `process` is a plain child process (for
 * development only), `bwrap` a bubblewrap sandbox, `docker` a container,
 * `kubernetes` a Kubernetes Job of its own.
 */
export const RunnerKind = Type.Union([
  Type.Literal('process'),
  Type.Literal('bwrap'),
  Type.Literal('docker'),
  Type.Literal('kubernetes'),
]);

/** How a sandbox isolates a task. */
export type RunnerKind = Type.Static<typeof RunnerKind>;

/** What an environment variable's name may not hold: `=` and NUL. */
const ENV_NAME_PATTERN = '^[^=\\u0000]+$';

/** A secret's name, which is also the environment variable it fills. */
export const SecretName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

/**
 * Ceilings a runner enforces on a task; the sandbox's own settings apply
 * to what is left out, and a task cannot raise them past the sandbox's.
 */
export const TaskLimits = Type.Object({
  /** Memory of all the task's processes together. */
  memoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Processes and threads alive at once. */
  processes: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Open files per process. */
  openFiles: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Bytes printed on stdout and stderr together. */
  outputBytes: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Bytes written into the workspace and /tmp together. */
  diskMb: Type.Optional(Type.Integer({ minimum: 1 })),
});

/** Ceilings a runner enforces on a task. */
export type TaskLimits = Type.Static<typeof TaskLimits>;

/** The most labels a task may ask for. */
export const MAX_TASK_LABELS = 16;

/** A label a sandbox offers or a task asks for: a word of up to 64. */
export const Label = Type.String({
  pattern: '^[A-Za-z0-9_-]+$',
  maxLength: 64,
});

/** At most `max` tasks holding `key` run at once, across every run. */
export const ConcurrencyLimit = Type.Object({
  key: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 128 }),
  max: Type.Integer({ minimum: 1, maximum: 100_000 }),
});

/** At most `max` tasks holding `key` run at once. */
export type ConcurrencyLimit = Type.Static<typeof ConcurrencyLimit>;

/** What a sandbox needs to run one task. */
export const TaskSpec = Type.Object({
  /** A shell line run by `/bin/sh -c`, or an argument vector run as is. */
  command: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Type.String(), { minItems: 1 }),
  ]),
  /**
   * Declared environment; nothing else of the sandbox's leaks in. A
   * name cannot hold `=` or NUL, which no environment can carry.
   */
  env: Type.Record(
    Type.String({ pattern: ENV_NAME_PATTERN }),
    Type.String(),
    // Without it, a name that does not match would pass unchecked.
    { additionalProperties: false },
  ),
  /** Working directory relative to the task's workspace; '' is its root. */
  cwd: Type.String(),
  /** Wall-clock limit; the whole process tree is killed past it. */
  timeoutMs: Type.Integer({ minimum: 1 }),
  /** Files placed in the workspace before the command starts. */
  inputs: Type.Array(FileRef),
  /** Workspace paths (files or directories) collected afterwards. */
  outputs: Type.Array(Type.String({ minLength: 1 })),
  /** The sandbox pool that may run it. */
  pool: Token,
  /** Attempts before the task counts as failed, at least one. */
  maxAttempts: Type.Integer({ minimum: 1, maximum: 100 }),
  /** Labels a sandbox must offer to run it, for fleets with many kinds. */
  labels: Type.Optional(Type.Array(Label, { maxItems: MAX_TASK_LABELS })),
  /**
   * Added to its run's priority: among waiting tasks, a higher sum is
   * dispatched first. 0 when left out.
   */
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  /**
   * Shared limits the task counts against while dispatched: at most
   * `max` tasks holding `key` run at once, across every run; the others
   * wait, in the order they were requested.
   */
  concurrency: Type.Optional(Type.Array(ConcurrencyLimit, { maxItems: 8 })),
  /** What the task expects to use, as hints for placing it. */
  resources: Type.Optional(
    Type.Object({
      cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      memoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
      diskMb: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ),
  /** The runner asked for; the sandbox's default when left out. */
  runner: Type.Optional(RunnerKind),
  /** The container image, for the `docker` and `kubernetes` runners. */
  image: Type.Optional(Type.String({ minLength: 1 })),
  /** Whether the task may reach the network; it may not by default. */
  network: Type.Optional(Type.Boolean()),
  /** Ceilings on what the task may use. */
  limits: Type.Optional(TaskLimits),
  /**
   * Secrets granted to the task by name: each is set in its environment
   * under its name, and masked in everything the task prints.
   */
  secrets: Type.Optional(Type.Array(SecretName)),
  /** When and how soon a failed attempt is tried again. */
  retry: Type.Optional(
    Type.Object({
      /** Wait before the second attempt; doubles for each one after. */
      delayMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
      /** Retry only attempts that exited with one of these codes. */
      onExitCodes: Type.Optional(Type.Array(Type.Integer())),
    }),
  ),
});

/** What a sandbox needs to run one task. */
export type TaskSpec = Type.Static<typeof TaskSpec>;

/** Controller to scheduler: please run this task. */
export const TaskRequest = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  /** Deterministic: `<job>-<sequence within the job>`. */
  taskId: Token,
  job: Type.String({ minLength: 1 }),
  /** A human name for status lines. */
  name: Type.String(),
  requestedAt: Timestamp,
  spec: TaskSpec,
  /** How the task uses the cache; absent when it does not. */
  cache: Type.Optional(TaskCache),
  /** The priority of the task's run; 0 when left out. */
  runPriority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
});

/** Controller to scheduler: please run this task. */
export type TaskRequest = Type.Static<typeof TaskRequest>;

/** Scheduler to a pool's sandboxes: run this attempt. */
export const TaskDispatch = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  taskId: Token,
  job: Type.String({ minLength: 1 }),
  name: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  spec: TaskSpec,
});

/** Scheduler to a pool's sandboxes: run this attempt. */
export type TaskDispatch = Type.Static<typeof TaskDispatch>;

/** Sandbox to scheduler: an attempt has ended. */
export const TaskResult = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  taskId: Token,
  attempt: Type.Integer({ minimum: 1 }),
  sandboxId: Type.String(),
  finishedAt: Timestamp,
  outcome: AttemptOutcome,
});

/** Sandbox to scheduler: an attempt has ended. */
export type TaskResult = Type.Static<typeof TaskResult>;

export { AttemptOutcome, AttemptReason } from './outcome.js';
