import {
  type AttemptOutcome,
  decode,
  encode,
  MessageDecodeError,
  SCHEMA_VERSION,
  Subjects,
  type TaskDispatch,
} from '@river/protocol';
import {
  type CancelWatch,
  encodeFitted,
  endSpan,
  type Logger,
  publishWithRetry,
  startSpan,
  taskFields,
  traceparentFrom,
} from '@river/protocol/internal';
import {
  cancelledOutcome,
  handedBackUnstartedOutcome,
  lostOutcome,
  runAttempt,
  workspaceFailedOutcome,
} from './attempt.js';
import type { ArtifactStore, DeliveredMsg, JetStream } from './nats-types.js';
import type { SandboxLimits } from './runners/limits.js';
import type { RunnerRegistry } from './runners/registry.js';
import type { SecretReader } from './secrets.js';

import {
  createWorkspace,
  removeWorkspace,
  type Workspace,
} from './workspace.js';

/** Heartbeats sent per lost timeout, so that two may go missing. */
const HEARTBEATS_PER_LOST_TIMEOUT = 3;
/** Redelivery delay for a dispatch whose result could not be published. */
const REDELIVERY_DELAY_MS = 5_000;

/** What the handler needs from the running service. */
export interface HandlerContext {
  js: JetStream;
  artifacts: ArtifactStore;
  workDir: string;
  sandboxId: string;
  log: Logger;
  /** Cancelled runs, kept current from the cancels bucket. */
  cancels: CancelWatch;
  /** Output a task may print before it is stopped. */
  maxOutputBytes?: number;
  /** Abort controllers of running attempts, by run id and task key. */
  running: Map<string, Set<AbortController>>;
  /**
   * Time without a heartbeat after which an attempt counts as lost; it is
   * the pool consumer's ack wait, and heartbeats go at a third of it.
   */
  taskLostMs: number;
  /** Aborted once the sandbox stops: new dispatches are handed back. */
  draining?: AbortSignal;
  /** Aborted when the drain grace has passed: running tasks are stopped. */
  handBack?: AbortSignal;
  /** The drain grace period, for the handed-back outcome's message. */
  drainGraceMs?: number;
  /** Where granted secrets are read from. */
  secrets?: SecretReader;
  /** The runners a task may use, and the default one. */
  runners: RunnerRegistry;
  /** The sandbox's ceilings on every task's limits. */
  limits: SandboxLimits;
}

/**
 * Handles one delivered dispatch: announces the attempt, runs it in a
 * fresh workspace, publishes its result, acks the dispatch and removes
 * the workspace. A malformed dispatch is logged and acked.
 *
 * A dispatch delivered for the second time was held by a sandbox that
 * stopped heartbeating, so it is reported `lost` without running: the
 * attempt may still be running there, and the scheduler decides whether a
 * new attempt follows. One received while the sandbox is stopping is
 * reported `handed-back` without running.
 */
export async function handleDispatch(
  msg: DeliveredMsg,
  context: HandlerContext,
): Promise<void> {
  const { log } = context;
  let dispatch: TaskDispatch;
  try {
    dispatch = decode('taskDispatch', msg.subject, msg.data);
  } catch (error) {
    if (!(error instanceof MessageDecodeError)) {
      throw error;
    }
    log.warn(
      { subject: msg.subject, field: error.field, err: error },
      'Rejected malformed message',
    );
    msg.ack();
    return;
  }

  const deliveries = msg.info.deliveryCount;
  if (deliveries > 1) {
    const outcome = lostOutcome(
      context.sandboxId,
      deliveries,
      context.taskLostMs,
    );
    await reportUnrun(msg, dispatch, outcome, 'lost', context);
    return;
  }
  if (context.draining?.aborted === true) {
    const outcome = handedBackUnstartedOutcome();
    await reportUnrun(msg, dispatch, outcome, 'result', context);
    return;
  }
  await runDispatch(msg, dispatch, context);
}

async function runDispatch(
  msg: DeliveredMsg,
  dispatch: TaskDispatch,
  context: HandlerContext,
): Promise<void> {
  const { log } = context;
  const fields = { ...taskFields(dispatch), subject: msg.subject };
  const heartbeat = setInterval(
    () => {
      try {
        msg.working();
      } catch (error) {
        log.warn({ ...fields, err: error }, 'Could not extend the ack wait');
      }
    },
    Math.floor(context.taskLostMs / HEARTBEATS_PER_LOST_TIMEOUT),
  );
  let workspace: Workspace | undefined;
  // A child of the job's span, whose context the scheduler handed on.
  const span = startSpan(
    'task attempt',
    {
      runId: dispatch.runId,
      job: dispatch.job,
      taskId: dispatch.taskId,
      attempt: dispatch.attempt,
    },
    traceparentFrom(msg.headers),
  );
  let spanError: string | undefined;
  try {
    const startedAt = Date.now();
    // Published while the task starts; awaited before its result, so that
    // the history holds the start before the end.
    const announced = announceStart(dispatch, context);
    log.info(fields, 'Task attempt started');

    let outcome: AttemptOutcome;
    const taskKey = `${dispatch.runId}.${dispatch.taskId}`;
    const cancelled =
      context.cancels.reasonFor(dispatch.runId) ??
      context.cancels.reasonFor(taskKey);
    const abort = new AbortController();
    trackRunning(context.running, dispatch.runId, abort, true);
    trackRunning(context.running, taskKey, abort, true);
    try {
      if (cancelled !== undefined) {
        outcome = cancelledOutcome(cancelled);
      } else {
        workspace = await createWorkspace(context.workDir, attemptId(dispatch));
        outcome = await runAttempt(
          dispatch,
          workspace,
          context,
          startedAt,
          abort.signal,
        );
      }
    } catch (error) {
      if (workspace !== undefined) {
        throw error;
      }
      log.error({ ...fields, err: error }, 'Could not create a workspace');
      outcome = workspaceFailedOutcome(error, startedAt);
    } finally {
      trackRunning(context.running, dispatch.runId, abort, false);
      trackRunning(context.running, taskKey, abort, false);
    }

    span.setAttributes({
      reason: outcome.reason,
      ...(typeof outcome.exitCode === 'number'
        ? { exitCode: outcome.exitCode }
        : {}),
    });
    spanError = outcome.ok ? undefined : `task attempt ${outcome.reason}`;
    await announced;
    await publishResult(dispatch, outcome, 'result', context);
    await acknowledge(msg, fields, log);
    log.info(
      {
        ...fields,
        ok: outcome.ok,
        reason: outcome.reason,
        exitCode: outcome.exitCode,
        durationMs: outcome.durationMs,
      },
      'Task attempt finished',
    );
  } catch (error) {
    // Its next holder reports the attempt lost, since this one ran it.
    spanError = 'the attempt could not be reported';
    log.error(
      { ...fields, err: error },
      'Task attempt could not be reported; it will be redelivered',
    );
    msg.nak(REDELIVERY_DELAY_MS);
  } finally {
    endSpan(span, spanError);
    clearInterval(heartbeat);
    if (workspace !== undefined) {
      await removeWorkspace(workspace.root).catch((error: unknown) =>
        log.warn(
          { ...fields, path: workspace?.root, err: error },
          'Could not remove a workspace',
        ),
      );
    }
  }
}

/**
 * Reports an attempt that this sandbox does not run (lost, or handed back
 * while stopping) and acks its dispatch. The result's message id ends in
 * `kind`: a lost report gets its own, so that JetStream does not drop the
 * result that the attempt's first sandbox may still publish, and the
 * scheduler sees both.
 */
async function reportUnrun(
  msg: DeliveredMsg,
  dispatch: TaskDispatch,
  outcome: AttemptOutcome,
  kind: 'lost' | 'result',
  context: HandlerContext,
): Promise<void> {
  const { log } = context;
  const fields = {
    ...taskFields(dispatch),
    subject: msg.subject,
    deliveries: msg.info.deliveryCount,
  };
  try {
    await publishResult(dispatch, outcome, kind, context);
  } catch (error) {
    log.error(
      { ...fields, err: error },
      'Task attempt could not be reported; it will be redelivered',
    );
    msg.nak(REDELIVERY_DELAY_MS);
    return;
  }
  await acknowledge(msg, fields, log);
  log.warn(
    { ...fields, reason: outcome.reason },
    outcome.reason === 'lost'
      ? 'Reported a task attempt lost by its sandbox'
      : 'Handed back a task received while stopping',
  );
}

/**
 * Acks the dispatch and waits for the server to confirm. A lost ack only
 * means a redelivery, whose next holder reports the attempt lost; the
 * scheduler then ignores that report, as the attempt has moved on.
 */
async function acknowledge(
  msg: DeliveredMsg,
  fields: Record<string, unknown>,
  log: Logger,
): Promise<void> {
  try {
    await msg.ackAck();
  } catch (error) {
    log.warn({ ...fields, err: error }, 'Could not confirm the dispatch ack');
  }
}

function attemptId(dispatch: TaskDispatch): string {
  return `${dispatch.runId}.${dispatch.taskId}.${dispatch.attempt}`;
}

async function announceStart(
  dispatch: TaskDispatch,
  context: HandlerContext,
): Promise<void> {
  const { runId, taskId, attempt } = dispatch;
  const subject = Subjects.event(runId, 'task.started');
  const event = encode('event', {
    schema: SCHEMA_VERSION,
    type: 'task.started',
    runId,
    at: Date.now(),
    taskId,
    attempt,
    sandboxId: context.sandboxId,
  });
  try {
    await publishWithRetry(
      context.js,
      subject,
      event,
      `${attemptId(dispatch)}.started`,
    );
  } catch (error) {
    // The result still tells the scheduler how the attempt went.
    context.log.warn(
      { ...taskFields(dispatch), subject, err: error },
      'Could not publish the task started event',
    );
  }
}

async function publishResult(
  dispatch: TaskDispatch,
  outcome: AttemptOutcome,
  kind: 'lost' | 'result',
  context: HandlerContext,
): Promise<void> {
  // Tails and messages are cut to fit a NATS message, never dropped.
  const { bytes: result } = encodeFitted('taskResult', {
    schema: SCHEMA_VERSION,
    runId: dispatch.runId,
    taskId: dispatch.taskId,
    attempt: dispatch.attempt,
    sandboxId: context.sandboxId,
    finishedAt: Date.now(),
    outcome,
  });
  await publishWithRetry(
    context.js,
    Subjects.taskResult,
    result,
    `${attemptId(dispatch)}.${kind}`,
  );
}

/** Adds an attempt to, or removes it from, the running attempts. */
function trackRunning(
  running: Map<string, Set<AbortController>>,
  runId: string,
  abort: AbortController,
  add: boolean,
): void {
  const attempts = running.get(runId) ?? new Set<AbortController>();
  if (add) {
    attempts.add(abort);
    running.set(runId, attempts);
    return;
  }
  attempts.delete(abort);
  if (attempts.size === 0) {
    running.delete(runId);
  }
}
