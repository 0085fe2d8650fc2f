import Type from 'typebox';
import { FileRef, SchemaVersion, Timestamp, Token } from './common.js';

/** What a sandbox needs to run one task. */
export const TaskSpec = Type.Object({
  /** A shell line run by `/bin/sh -c`, or an argument vector run as is. */
  command: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Type.String(), { minItems: 1 }),
  ]),
  /** Declared environment; nothing else of the sandbox's leaks in. */
  env: Type.Record(Type.String(), Type.String()),
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
  labels: Type.Optional(Type.Array(Token)),
  /** What the task expects to use, as hints for placing it. */
  resources: Type.Optional(
    Type.Object({
      cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      memoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
      diskMb: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ),
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

/** Why an attempt ended. */
export const AttemptReason = Type.Union([
  Type.Literal('exited'),
  Type.Literal('signaled'),
  Type.Literal('timeout'),
  Type.Literal('command-not-found'),
  Type.Literal('spawn-failed'),
  Type.Literal('input-failed'),
  Type.Literal('output-failed'),
  Type.Literal('cancelled'),
  Type.Literal('output-limit'),
  /** Its sandbox stopped sending heartbeats; another sandbox noticed. */
  Type.Literal('lost'),
  /** Its sandbox shut down before it ended and gave it back unfinished. */
  Type.Literal('handed-back'),
]);

/** Why an attempt ended. */
export type AttemptReason = Type.Static<typeof AttemptReason>;

/** What one attempt produced. */
export const AttemptOutcome = Type.Object({
  /** True when the process exited with code 0 and outputs were stored. */
  ok: Type.Boolean(),
  reason: AttemptReason,
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  signal: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer({ minimum: 0 }),
  /** Tail of stdout, decoded as UTF-8 with replacement characters. */
  stdout: Type.String(),
  stderr: Type.String(),
  /** True when the captured text is only the tail of the output. */
  stdoutTruncated: Type.Boolean(),
  stderrTruncated: Type.Boolean(),
  /** Declared outputs, as stored files. */
  files: Type.Array(FileRef),
  /** A one-sentence explanation when the attempt did not exit cleanly. */
  message: Type.Optional(Type.String()),
});

/** What one attempt produced. */
export type AttemptOutcome = Type.Static<typeof AttemptOutcome>;

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
