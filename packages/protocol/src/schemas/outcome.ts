import { Type } from '../typebox.js';
import { FileRef } from './common.js';

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
  /** The task's processes used more memory than its limit. */
  Type.Literal('memory-limit'),
  /** The task started more processes than its limit. */
  Type.Literal('process-limit'),
  /** The task wrote more to its workspace and /tmp than its limit. */
  Type.Literal('disk-limit'),
  /** The sandbox does not offer, or its policy refuses, the runner asked for. */
  Type.Literal('runner-unavailable'),
  /** A granted secret does not exist or could not be decrypted. */
  Type.Literal('secret-unavailable'),
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
