import { constants } from 'node:os';
import type { LogStream } from '@river/protocol';
import type { OutputSink, ProcessEnd } from '../runner.js';
import { EXEC_SHIM_NAME } from './bwrap-args.js';
import type { LimitReason } from './limits.js';
import type { RunnerEnd, RunnerRequest } from './task-runner.js';

/** Highest signal number an exit status of 128 + n may stand for. */
const MAX_SIGNAL = 64;
/** Bytes of stderr kept to tell bwrap's own errors from the task's. */
const STDERR_HEAD_BYTES = 1_024;
/** The programs that start a task, as their errors begin on stderr. */
const LAUNCHER_PREFIXES = [
  'bwrap: ',
  'prlimit: ',
  'setpriv: ',
  'river-cgroup-join: ',
  'river-close-fds: ',
];

/**
 * bwrap's end as a runner's: bwrap reports a task killed by signal n as
 * exit status 128 + n, and its own failures, or a program the exec shell
 * could not run, as exit statuses with a known line on stderr.
 */
export function bwrapEnd(
  end: ProcessEnd,
  request: RunnerRequest,
  stderr: string,
  limit: LimitReason | undefined,
): RunnerEnd {
  if (end.kind === 'spawn-error') {
    return end;
  }
  const cancelled = end.cancelled && request.signal?.aborted === true;
  const firstLine = stderr.split('\n')[0] ?? '';
  if (limit === undefined && !cancelled && !end.timedOut) {
    const launcherFailed =
      (end.exitCode === 1 || end.exitCode === 125) &&
      LAUNCHER_PREFIXES.some((prefix) => firstLine.startsWith(prefix));
    if (launcherFailed) {
      return spawnError(`the sandbox around it failed: ${firstLine}`);
    }
    if (typeof request.command !== 'string') {
      const program = request.command[0] ?? '';
      const shimSaid = `${EXEC_SHIM_NAME}: 1: exec: ${program}: `;
      if (end.exitCode === 127 && firstLine.startsWith(shimSaid)) {
        return spawnError(firstLine.slice(shimSaid.length), 'ENOENT');
      }
      if (end.exitCode === 126 && firstLine.startsWith(shimSaid)) {
        return spawnError(firstLine.slice(shimSaid.length), 'EACCES');
      }
    }
  }

  let { exitCode, signal: killedBy } = end;
  if (killedBy === null && exitCode !== null && exitCode > 128) {
    const name = signalName(exitCode - 128);
    if (name !== undefined) {
      killedBy = name;
      exitCode = null;
    }
  }
  return {
    kind: 'ended',
    exitCode,
    signal: killedBy,
    timedOut: end.timedOut,
    cancelled,
    ...(limit === undefined ? {} : { limit }),
  };
}

function signalName(number: number): NodeJS.Signals | undefined {
  if (number > MAX_SIGNAL) {
    return undefined;
  }
  const entry = Object.entries(constants.signals).find(
    ([, value]) => value === number,
  );
  return entry?.[0] as NodeJS.Signals | undefined;
}

export function spawnError(message: string, code = 'EINVAL'): RunnerEnd {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = code;
  return { kind: 'spawn-error', error };
}

/** A sink that passes everything on and keeps the start of stderr. */
export class StderrHead implements OutputSink {
  readonly #sink: OutputSink;
  #head = Buffer.alloc(0);

  constructor(sink: OutputSink) {
    this.#sink = sink;
  }

  write(stream: LogStream, data: Buffer): boolean {
    if (stream === 'stderr' && this.#head.length < STDERR_HEAD_BYTES) {
      this.#head = Buffer.concat([this.#head, data]).subarray(
        0,
        STDERR_HEAD_BYTES,
      );
    }
    return this.#sink.write(stream, data);
  }

  drained(): Promise<void> {
    return this.#sink.drained();
  }

  text(): string {
    return this.#head.toString('utf8');
  }
}
