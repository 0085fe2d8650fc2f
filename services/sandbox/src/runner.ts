import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LogStream } from '@river/protocol';
import { KILL_GRACE_MS, ProcessGroup } from './process-group.js';

/** Longest a timer may wait in Node, about 24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long output pipes may stay open once the group is gone. */
const PIPE_CLOSE_GRACE_MS = 5_000;

/** What to run and how. */
export interface ProcessSpec {
  /** A shell line for `/bin/sh -c`, or an argument vector. */
  command: string | readonly string[];
  /** Absolute working directory; it must exist. */
  cwd: string;
  /** The complete environment of the process. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Aborting it kills the whole process group, as a timeout does. */
  signal?: AbortSignal;
  /**
   * Bytes the process reads on file descriptor 3 until its end: how a
   * runner hands over arguments that must not show in the process list.
   */
  fd3Input?: Buffer;
  /**
   * Asks the process to stop, for a timeout or an abort, instead of the
   * default SIGTERM to its group; the group gets SIGKILL
   * {@link KILL_GRACE_MS} later either way.
   */
  askToStop?: (pid: number) => void;
}

/** Where the process's output goes. */
export interface OutputSink {
  /** Takes output; false asks the runner to pause reading. */
  write(stream: LogStream, data: Buffer): boolean;
  /** Resolves when reading may resume. */
  drained(): Promise<void>;
}

/** How a process ended. */
export type ProcessEnd =
  | {
      kind: 'spawn-error';
      /** The error of `spawn`, with its `code` such as ENOENT. */
      error: NodeJS.ErrnoException;
    }
  | {
      kind: 'ended';
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      /** Set when the timeout fired, however the process then ended. */
      timedOut: boolean;
      /** Set when the spec's abort signal fired while it ran. */
      cancelled: boolean;
    };

/**
 * Runs a command in its own process group and waits until it has ended
 * and its output was read. Past the timeout the whole group gets SIGTERM,
 * then SIGKILL; once the first process has exited, whatever it left
 * running in the group is ended the same way.
 */
export async function runProcess(
  spec: ProcessSpec,
  sink: OutputSink,
): Promise<ProcessEnd> {
  const [file, args] =
    typeof spec.command === 'string'
      ? ['/bin/sh', ['-c', spec.command]]
      : [spec.command[0] ?? '', spec.command.slice(1)];
  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio:
      spec.fd3Input === undefined
        ? ['ignore', 'pipe', 'pipe']
        : ['ignore', 'pipe', 'pipe', 'pipe'],
  });

  const spawnError = await spawned(child);
  if (spawnError !== undefined || child.pid === undefined) {
    return {
      kind: 'spawn-error',
      error: spawnError ?? new Error('The process got no pid.'),
    };
  }
  if (spec.fd3Input !== undefined) {
    feed(child, spec.fd3Input);
  }

  const { pid } = child;
  const group = new ProcessGroup(pid);
  const pipes = [
    readPipe(child.stdout, 'stdout', sink),
    readPipe(child.stderr, 'stderr', sink),
  ];
  const stop = () => {
    if (spec.askToStop === undefined) {
      group.terminate();
      return;
    }
    spec.askToStop(pid);
    group.killLater(KILL_GRACE_MS);
  };
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      stop();
    },
    Math.min(spec.timeoutMs, MAX_TIMER_MS),
  );

  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    stop();
  };
  if (spec.signal?.aborted) {
    cancel();
  }
  spec.signal?.addEventListener('abort', cancel);

  const [exitCode, signal] = await exited(child);
  clearTimeout(timer);
  spec.signal?.removeEventListener('abort', cancel);
  await group.settle();
  await closePipes(child, pipes);
  return { kind: 'ended', exitCode, signal, timedOut, cancelled };
}

function spawned(
  child: ChildProcess,
): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
}

/** Writes `input` to the child's fd 3 and closes it. */
function feed(child: ChildProcess, input: Buffer): void {
  const pipe = child.stdio[3];
  if (pipe === null || pipe === undefined || !('write' in pipe)) {
    return;
  }
  // A process that ends before reading it all closes the pipe early.
  pipe.on('error', () => undefined);
  pipe.end(input);
}

function exited(
  child: ChildProcess,
): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve([child.exitCode, child.signalCode]);
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve([code, signal]));
  });
}

function readPipe(
  pipe: Readable | null,
  stream: LogStream,
  sink: OutputSink,
): Promise<void> {
  if (pipe === null) {
    return Promise.resolve();
  }
  pipe.on('data', (data: Buffer) => {
    if (!sink.write(stream, data)) {
      pipe.pause();
      void sink.drained().then(() => pipe.resume());
    }
  });
  return new Promise((resolve) => {
    pipe.once('close', () => resolve());
  });
}

async function closePipes(
  child: ChildProcess,
  pipes: Promise<void>[],
): Promise<void> {
  // A process that left the group may still hold the pipes open; its
  // output is not waited for past the grace period.
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, PIPE_CLOSE_GRACE_MS);
  });
  await Promise.race([Promise.all(pipes), grace]);
  clearTimeout(timer);
  child.stdout?.destroy();
  child.stderr?.destroy();
}
