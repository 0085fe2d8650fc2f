import type { AttemptOutcome, AttemptReason } from '../schemas/outcome.js';

/**
 * The outcome of an attempt whose command never ran: no exit code, no
 * output, no files, and `message` saying why.
 */
export function notRunOutcome(
  reason: AttemptReason,
  message: string,
): AttemptOutcome {
  return {
    ok: false,
    reason,
    exitCode: null,
    signal: null,
    durationMs: 0,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    files: [],
    message,
  };
}
