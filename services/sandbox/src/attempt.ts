import { mkdir } from 'node:fs/promises';
import { relative } from 'node:path';
import type {
  AttemptOutcome,
  AttemptReason,
  FileRef,
  TaskDispatch,
  TaskSpec,
} from '@river/protocol';
import {
  type Logger,
  notRunOutcome,
  taskFields,
} from '@river/protocol/internal';
import { AttemptFailedError } from './errors.js';
import { placeInputs } from './inputs.js';
import { LogPublisher } from './log-stream.js';
import type { ArtifactStore, JetStream } from './nats-types.js';
import { collectOutputs } from './outputs.js';
import type { OutputSink } from './runner.js';
import {
  limitMessage,
  limitOutcome,
  resolveLimits,
  type SandboxLimits,
} from './runners/limits.js';
import type { RunnerRegistry } from './runners/registry.js';
import type { RunnerEnd } from './runners/task-runner.js';
import { SecretMaskingSink } from './secret-mask.js';
import { grantSecrets, type SecretReader } from './secrets.js';
import { OutputTail } from './tail.js';
import { resolveInside, type Workspace } from './workspace.js';

/** PATH for tasks when the sandbox itself has none. */
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Longest command text quoted in an outcome's message. */
const MESSAGE_COMMAND_CHARS = 200;

/** What an attempt needs from the service around it. */
export interface AttemptContext {
  js: JetStream;
  artifacts: ArtifactStore;
  log: Logger;
  /** Output a task may print before it is stopped; unlimited if unset. */
  maxOutputBytes?: number;
  /**
   * Aborted when a stopping sandbox's drain grace period has passed: the
   * attempt is then stopped and reported `handed-back`.
   */
  handBack?: AbortSignal;
  /** The drain grace period, quoted in a handed-back outcome's message. */
  drainGraceMs?: number;
  /** Where granted secrets are read from. */
  secrets?: SecretReader;
  /** The runners a task may use, and the default one. */
  runners: RunnerRegistry;
  /** The sandbox's ceilings on every task's limits. */
  limits: SandboxLimits;
}

/** How an attempt ended, before its captured output is added. */
interface Verdict {
  reason: AttemptReason;
  exitCode: number | null;
  signal: string | null;
  message?: string;
}

/**
 * Runs one attempt in its workspace: places the inputs, runs the command
 * while streaming its logs, and stores the outputs when it exited with 0.
 * Every failure of the task becomes the outcome's reason; this only throws
 * on a fault of the sandbox itself.
 */
export async function runAttempt(
  dispatch: TaskDispatch,
  workspace: Workspace,
  context: AttemptContext,
  startedAt: number,
  cancel?: AbortSignal,
): Promise<AttemptOutcome> {
  const { spec } = dispatch;
  const logs = new LogPublisher(context.js, dispatch, context.log);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const limit = Math.min(
    spec.limits?.outputBytes ?? Number.POSITIVE_INFINITY,
    context.maxOutputBytes ?? Number.POSITIVE_INFINITY,
  );
  const overLimit = new AbortController();
  let printed = 0;
  // Granted secrets' values are masked before output is counted or kept.
  const granted = await grantSecrets(context.secrets, spec);
  const values = granted.ok ? granted.grant.values : [];
  const sink = new SecretMaskingSink(values, {
    write(stream, data) {
      if (printed >= limit) {
        return true;
      }
      printed += data.length;
      const kept =
        printed > limit
          ? data.subarray(0, data.length - (printed - limit))
          : data;
      if (printed >= limit) {
        // Past the limit nothing more is kept, and the task is stopped.
        overLimit.abort();
      }
      (stream === 'stdout' ? stdout : stderr).push(kept);
      return logs.write(stream, kept);
    },
    drained: () => logs.drained(),
  });
  const stop = linkSignals([cancel, overLimit.signal, context.handBack]);
  let verdict: Verdict;
  try {
    verdict = granted.ok
      ? await execute(
          context,
          workspace,
          dispatch,
          sink,
          stop.signal,
          granted.grant.env,
        )
      : failure('secret-unavailable', granted.error);
  } finally {
    stop.unlink();
  }
  if (
    context.handBack?.aborted === true &&
    cancel?.aborted !== true &&
    verdict.reason === 'cancelled'
  ) {
    // Stopped by the drain, not by the user: another sandbox runs it again.
    verdict = {
      reason: 'handed-back',
      exitCode: verdict.exitCode,
      signal: verdict.signal,
      message: handedBackMessage(context.drainGraceMs),
    };
  } else if (overLimit.signal.aborted && cancel?.aborted !== true) {
    verdict = {
      reason: 'output-limit',
      exitCode: null,
      signal: verdict.signal,
      message:
        `The task printed more than ${limit} bytes, so it was stopped ` +
        `(${outputLimitSource(spec, context.maxOutputBytes)}).`,
    };
  }
  let files: FileRef[] = [];
  sink.end();
  await logs.finish();

  if (verdict.reason === 'exited' && verdict.exitCode === 0) {
    try {
      files = await collectOutputs(
        context.artifacts,
        workspace.root,
        spec.outputs,
        (path, why) =>
          context.log.warn(
            { ...taskFields(dispatch), path, why },
            'Skipped an entry of an output directory',
          ),
      );
    } catch (error) {
      verdict = { ...failure('output-failed', error), exitCode: 0 };
    }
  }

  return {
    ok: verdict.reason === 'exited' && verdict.exitCode === 0,
    reason: verdict.reason,
    exitCode: verdict.exitCode,
    signal: verdict.signal,
    durationMs: Math.max(0, Date.now() - startedAt),
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    files,
    ...(verdict.message === undefined
      ? {}
      : { message: sink.maskText(verdict.message) }),
  };
}

/** The outcome of an attempt not started because its run was cancelled. */
export function cancelledOutcome(reason: string): AttemptOutcome {
  return notRunOutcome(
    'cancelled',
    `Not started: the run was cancelled (${reason}).`,
  );
}

/**
 * The outcome of a dispatch that came back from the queue: the sandbox
 * that held it stopped heartbeating (it crashed, hung or lost its network),
 * so the attempt counts as lost and is not run a second time.
 */
export function lostOutcome(
  sandboxId: string,
  deliveries: number,
  taskLostMs: number,
): AttemptOutcome {
  return notRunOutcome(
    'lost',
    `The attempt's sandbox sent no heartbeat for ${taskLostMs} ms ` +
      '(RIVER_TASK_LOST_MS), so the dispatch was delivered again ' +
      `(delivery ${deliveries}, to sandbox ${sandboxId}); the attempt is ` +
      'lost and was not run again.',
  );
}

/** The outcome of an attempt that a stopping sandbox gave back unstarted. */
export function handedBackUnstartedOutcome(): AttemptOutcome {
  return notRunOutcome(
    'handed-back',
    'Not started: the sandbox was shutting down when it received the ' +
      'task, so it handed the task back to be run elsewhere.',
  );
}

/** Where a task's output limit came from, for its message. */
function outputLimitSource(spec: TaskSpec, sandboxMax: number | undefined) {
  const asked = spec.limits?.outputBytes;
  if (asked === undefined) {
    return 'the sandbox setting RIVER_MAX_OUTPUT_BYTES';
  }
  if (sandboxMax !== undefined && asked > sandboxMax) {
    return (
      `the task asked for ${asked} in limits.outputBytes, capped by the ` +
      'sandbox setting RIVER_MAX_OUTPUT_BYTES'
    );
  }
  return 'limits.outputBytes of the task';
}

function handedBackMessage(graceMs: number | undefined): string {
  const grace =
    graceMs === undefined ? '' : ` of ${graceMs} ms (RIVER_DRAIN_GRACE_MS)`;
  return (
    `The sandbox shut down and the task was still running after its ` +
    `drain grace period${grace}, so it was stopped and handed back to be ` +
    'run elsewhere.'
  );
}

/**
 * The outcome of an attempt that could not even get a workspace, for
 * example because the sandbox's disk is full.
 */
export function workspaceFailedOutcome(
  error: unknown,
  startedAt: number,
): AttemptOutcome {
  return {
    ok: false,
    reason: 'spawn-failed',
    exitCode: null,
    signal: null,
    durationMs: Math.max(0, Date.now() - startedAt),
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    files: [],
    message: `The sandbox could not create a workspace: ${messageOf(error)}.`,
  };
}

/** Prepares the workspace and runs the command in it. */
async function execute(
  context: AttemptContext,
  workspace: Workspace,
  dispatch: TaskDispatch,
  sink: OutputSink,
  cancel: AbortSignal | undefined,
  secrets: Record<string, string>,
): Promise<Verdict> {
  const { spec } = dispatch;
  // A runner the task may not have fails it before any work is done.
  const offer = context.runners.select(spec.runner);
  if ('unavailable' in offer) {
    return {
      reason: 'runner-unavailable',
      exitCode: null,
      signal: null,
      message: offer.unavailable,
    };
  }
  const refused = offer.runner.refuse?.(spec);
  if (refused !== undefined) {
    return {
      reason: 'runner-unavailable',
      exitCode: null,
      signal: null,
      message: refused,
    };
  }

  let cwd: string;
  try {
    cwd = await prepare(context, workspace, spec);
  } catch (error) {
    return failure('input-failed', error);
  }

  try {
    const end = await offer.runner.run(
      {
        attemptKey: `${dispatch.runId}.${dispatch.taskId}.${dispatch.attempt}`,
        command: spec.command,
        workspace: workspace.root,
        cwd: relative(workspace.root, cwd),
        env: { ...environment(spec, workspace), ...secrets },
        timeoutMs: spec.timeoutMs,
        network: spec.network === true,
        limits: resolveLimits(spec.limits, context.limits),
        ...(spec.resources === undefined ? {} : { resources: spec.resources }),
        ...(spec.image === undefined ? {} : { image: spec.image }),
        ...(cancel === undefined ? {} : { signal: cancel }),
        log: context.log.child(taskFields(dispatch)),
      },
      sink,
    );
    return judge(end, spec, context.limits);
  } catch (error) {
    return failure('spawn-failed', error);
  }
}

/** Places the inputs and makes the working directory; returns its path. */
async function prepare(
  context: AttemptContext,
  workspace: Workspace,
  spec: TaskSpec,
): Promise<string> {
  await placeInputs(context.artifacts, context.js, workspace.root, spec.inputs);
  if (spec.cwd === '' || spec.cwd === '.') {
    return workspace.root;
  }
  const cwd = resolveInside(workspace.root, spec.cwd);
  if (cwd === undefined) {
    throw new AttemptFailedError(
      'input-failed',
      spec.cwd,
      `Working directory "${spec.cwd}" is absolute or leaves the ` +
        'workspace; use a path relative to the workspace.',
    );
  }
  try {
    await mkdir(cwd, { recursive: true });
  } catch (error) {
    throw new AttemptFailedError(
      'input-failed',
      spec.cwd,
      `Working directory "${spec.cwd}" could not be created: ` +
        `${messageOf(error)}.`,
      error,
    );
  }
  return cwd;
}

/**
 * The task's whole environment: what it declared, over defaults of the
 * sandbox's PATH and a HOME and TMPDIR inside the workspace.
 */
function environment(
  spec: TaskSpec,
  workspace: Workspace,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? FALLBACK_PATH,
    HOME: workspace.root,
    TMPDIR: workspace.tmp,
    ...spec.env,
  };
}

function judge(end: RunnerEnd, spec: TaskSpec, limits: SandboxLimits): Verdict {
  const command = quoted(spec.command);
  if (end.kind === 'spawn-error') {
    if (end.error.code === 'ENOENT' && typeof spec.command !== 'string') {
      return {
        reason: 'command-not-found',
        exitCode: 127,
        signal: null,
        message: `Command ${command} was not found; check its name and PATH.`,
      };
    }
    return {
      reason: 'spawn-failed',
      exitCode: null,
      signal: null,
      message: `Command ${command} could not be started: ${end.error.message}.`,
    };
  }

  const { exitCode, signal } = end;
  if (end.cancelled) {
    return {
      reason: 'cancelled',
      exitCode,
      signal,
      message: "The run was cancelled, so the task's processes were killed.",
    };
  }
  if (end.limit !== undefined) {
    return {
      reason: limitOutcome(end.limit),
      exitCode,
      signal,
      message: limitMessage(end.limit, spec.limits, limits),
    };
  }
  if (end.timedOut) {
    return {
      reason: 'timeout',
      exitCode,
      signal,
      message:
        `The task ran past its ${spec.timeoutMs} ms timeout, so its ` +
        'processes were killed.',
    };
  }
  if (signal !== null) {
    return {
      reason: 'signaled',
      exitCode: null,
      signal,
      message: `Command ${command} was killed by ${signal}.`,
    };
  }
  if (exitCode === 127 && typeof spec.command === 'string') {
    return {
      reason: 'command-not-found',
      exitCode,
      signal: null,
      message: `The shell found no command to run in ${command} (exit 127).`,
    };
  }
  if (exitCode !== 0) {
    return {
      reason: 'exited',
      exitCode,
      signal: null,
      message: `Command ${command} exited with code ${exitCode}.`,
    };
  }
  return { reason: 'exited', exitCode, signal: null };
}

function failure(reason: AttemptReason, error: unknown): Verdict {
  return {
    reason: error instanceof AttemptFailedError ? error.reason : reason,
    exitCode: null,
    signal: null,
    message:
      error instanceof AttemptFailedError
        ? error.message
        : `The sandbox failed while handling the task: ${messageOf(error)}.`,
  };
}

/** The command as an outcome's message quotes it: its first word, for argv. */
function quoted(command: string | readonly string[]): string {
  const text = typeof command === 'string' ? command : (command[0] ?? '');
  return JSON.stringify(
    text.length > MESSAGE_COMMAND_CHARS
      ? `${text.slice(0, MESSAGE_COMMAND_CHARS)}…`
      : text,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A signal that aborts when any of `signals` does. Unlike `AbortSignal.any`
 * it lets go of its sources once unlinked, so that the sandbox-wide
 * hand-back signal does not collect one listener per attempt ever run.
 */
function linkSignals(signals: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  unlink: () => void;
} {
  const linked = new AbortController();
  const abort = () => linked.abort();
  const sources = signals.filter((signal) => signal !== undefined);
  for (const source of sources) {
    if (source.aborted) {
      linked.abort();
    }
    source.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: linked.signal,
    unlink: () => {
      for (const source of sources) {
        source.removeEventListener('abort', abort);
      }
    },
  };
}
