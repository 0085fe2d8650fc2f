import {
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  Buckets,
  Consumers,
  encode,
  type RunSubmission,
  SCHEMA_VERSION,
  Streams,
  Subjects,
} from '@river/protocol';
import {
  CancelWatch,
  type ConsumeLoop,
  connectRiver,
  consumeMessages,
  createServiceLogger,
  ensureDurable,
  type Logger,
  natsCredentialsOf,
  openBucketIfExists,
  type RiverConnection,
  requireStreams,
  runShutdown,
} from '@river/protocol/internal';
import type { ControllerConfig } from './config.js';
import { JobProcesses } from './job-processes.js';
import { resolveJobSandbox } from './job-sandbox.js';
import { RunDriver } from './run-driver.js';
import { SubmissionLease } from './submission-lease.js';
import { type SubmittedEvent, submittedEvent } from './submitted-event.js';

/** A run this controller drives, with its hold on the submission. */
interface ActiveRun {
  driver: RunDriver;
  lease: SubmissionLease;
}

/** A running controller. */
export interface RunningController {
  /**
   * Stops taking submissions, hands its active runs back so that another
   * controller takes them over at once, and closes NATS.
   */
  close(): Promise<void>;
}

/**
 * Starts a controller: it takes run submissions, drives each run's job
 * logic and publishes the run's events. A submission stays unacknowledged
 * while its run lasts, renewed as a lease; when a controller dies, another
 * receives the submission again and takes the run over from its history.
 *
 * @throws ServerUnsupportedError when the NATS server is unsuitable.
 */
export async function startController(
  config: ControllerConfig,
  options: { log?: Logger } = {},
): Promise<RunningController> {
  const log = options.log ?? createServiceLogger('controller', config.logLevel);
  const connection = await connectRiver({
    servers: config.natsUrl,
    name: config.controllerId,
    credentials: natsCredentialsOf(config),
  });
  const { js, jsm } = connection;
  await requireStreams(jsm, [
    Streams.submissions,
    Streams.taskRequests,
    Streams.events,
  ]);
  await ensureDurable(jsm, {
    stream: Streams.submissions,
    name: Consumers.controllerSubmissions,
    filterSubject: Subjects.submit,
    ackWaitMs: config.runLeaseMs,
  });

  const active = new Map<string, ActiveRun>();
  const cancels = await CancelWatch.start(connection, log, (runId, reason) => {
    void active.get(runId)?.driver.cancel(reason);
  });
  const processLimits = {
    memoryLimitMb: config.runMemoryLimitMb,
    cpuLimitMs: config.runCpuLimitMs,
    sandbox: resolveJobSandbox(config.jobSandbox),
  };
  const jobProcesses = new JobProcesses(processLimits);
  const deps = {
    connection,
    log,
    controllerId: config.controllerId,
    ...processLimits,
    stallLimitMs: config.jobStallLimitMs,
    jobProcesses,
    maxTasks: config.runMaxTasks,
    cancelReasonFor: (runId: string) => cancels.reasonFor(runId),
    cacheSalt: config.cacheSalt,
    secretVersion: (name: string) => secretVersion(connection, name),
  };

  async function takeSubmission(
    submission: RunSubmission,
    msg: JsMsg,
  ): Promise<void> {
    const { runId } = submission;
    // Recording the submission is the claim on the run: of two messages
    // for one run id, only the one recorded first may drive it.
    const recorded = await submittedEvent(jsm, runId);
    // A new run's driver follows its events before the first is stored.
    const newRun =
      recorded === undefined && !active.has(runId)
        ? new RunDriver(deps, submission)
        : undefined;
    let claimed: 'recorded' | SubmittedEvent;
    try {
      await newRun?.followNewRun();
      claimed = recorded ?? (await recordSubmission(js, jsm, submission, msg));
    } catch (error) {
      await newRun?.abandon();
      throw error;
    }
    if (claimed !== 'recorded') {
      await newRun?.abandon();
    }
    const refusal =
      claimed === 'recorded'
        ? undefined
        : secondSubmission(claimed, submission, msg);
    if (refusal) {
      // Another message for a run that exists: a client's late retry, or
      // someone else's attempt to take the run over. Only the run's own
      // submission, delivered again, may do that.
      log.warn(
        { runId, subject: Subjects.submit, why: refusal },
        'Refused a second submission of a run already submitted',
      );
      // Acknowledged, not terminated: a work queue keeps a terminated
      // message on nats-server 2.9.
      msg.ack();
      return;
    }
    const running = active.get(runId);
    if (running !== undefined) {
      running.lease.add(msg);
      log.debug(
        { runId, subject: Subjects.submit },
        'Submission came back while this controller drives its run',
      );
      return;
    }
    const driver =
      claimed === 'recorded' && newRun !== undefined
        ? newRun
        : new RunDriver(deps, submission);
    const lease = new SubmissionLease(msg, config.runLeaseMs, () => {
      log.warn(
        { runId, subject: Subjects.submit },
        'Held up past the run lease; leaving the run to whoever holds it now',
      );
      if (active.get(runId)?.lease === lease) {
        active.delete(runId);
      }
      void driver.abandon();
    });
    // A submission can come back (a takeover, a client's retry): its run
    // is announced once.
    if (claimed === 'recorded') {
      log.info({ runId, file: submission.file }, 'Run submitted');
    }
    active.set(runId, { driver, lease });
    const cancelled = cancels.reasonFor(runId);
    if (cancelled !== undefined) {
      void driver.cancel(cancelled);
    }
    driver
      .run()
      .then(
        (status) => {
          if (status === undefined) {
            lease.drop();
          } else {
            lease.complete();
          }
        },
        (error: unknown) => {
          log.error({ runId, err: error }, 'Run failed');
          lease.giveBack();
        },
      )
      .finally(() => {
        if (active.get(runId)?.lease === lease) {
          active.delete(runId);
        }
      });
  }

  const loops: ConsumeLoop[] = [
    consumeMessages({
      js,
      stream: Streams.submissions,
      consumer: Consumers.controllerSubmissions,
      kind: 'submission',
      concurrency: 1,
      log,
      handle: async (submission, msg) => {
        await takeSubmission(submission, msg);
        return 'handled';
      },
    }),
  ];
  log.info(
    { controllerId: config.controllerId, jobSandbox: deps.sandbox },
    'Controller started',
  );

  return {
    async close() {
      await runShutdown(log, [
        ['stop consumers', () => Promise.all(loops.map((loop) => loop.stop()))],
        ['stop watching cancellations', async () => cancels.stop()],
        ['end the spare job logic process', async () => jobProcesses.close()],
        [
          'hand runs back',
          () =>
            Promise.all(
              [...active.values()].map(async ({ driver, lease }) => {
                lease.drop();
                await driver.abandon();
                lease.giveBack();
              }),
            ),
        ],
        ['drain connection', () => connection.nc.drain()],
      ]);
      log.info('Controller stopped');
    },
  };
}

/**
 * Stores the run's `run.submitted` event, only if the run has none:
 * `'recorded'` when this message's event is stored, or the event another
 * message stored first (found as a duplicate within JetStream's window,
 * or as a refused expectation after it).
 */
async function recordSubmission(
  js: JetStreamClient,
  jsm: JetStreamManager,
  submission: RunSubmission,
  msg: JsMsg,
): Promise<'recorded' | SubmittedEvent> {
  const { runId } = submission;
  const event: SubmittedEvent = {
    schema: SCHEMA_VERSION,
    type: 'run.submitted',
    runId,
    at: Date.now(),
    file: submission.file,
    bundleDigest: submission.bundleDigest,
    submissionSeq: msg.seq,
    // Kept so that `river retry` can submit the same run again.
    sources: submission.sources,
    ...(submission.params === undefined ? {} : { params: submission.params }),
    ...(submission.retryOf === undefined
      ? {}
      : { retryOf: submission.retryOf }),
    ...(submission.untrustedScope === undefined
      ? {}
      : { untrustedScope: submission.untrustedScope }),
    ...(submission.priority === undefined
      ? {}
      : { priority: submission.priority }),
  };
  try {
    const ack = await js.publish(
      Subjects.event(runId, 'run.submitted'),
      encode('event', event),
      { msgID: `${runId}.submitted`, expect: { lastSubjectSequence: 0 } },
    );
    if (!ack.duplicate) {
      return 'recorded';
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === 10071)) {
      throw error;
    }
  }
  const found = await submittedEvent(jsm, runId);
  if (found === undefined) {
    throw new Error(`The submission event of ${runId} could not be read`);
  }
  return found;
}

/**
 * Why `msg` is not the run's own submission come back, or undefined when
 * it is (or the history is too old to tell, and says the same bundle).
 */
function secondSubmission(
  recorded: SubmittedEvent,
  submission: RunSubmission,
  msg: JsMsg,
): string | undefined {
  if (recorded.submissionSeq !== undefined) {
    return recorded.submissionSeq === msg.seq
      ? undefined
      : `the run was submitted as message ${recorded.submissionSeq}, ` +
          `this is message ${msg.seq}`;
  }
  return recorded.bundleDigest === submission.bundleDigest
    ? undefined
    : `the run was submitted with bundle ${recorded.bundleDigest}, ` +
        `this names ${submission.bundleDigest}`;
}

/**
 * The revision a secret was last set at, which stands for its value in a
 * task's cache key; undefined when it is not set. The value itself stays
 * sealed: only sandboxes can open it.
 */
async function secretVersion(
  connection: RiverConnection,
  name: string,
): Promise<string | undefined> {
  const secrets = await openBucketIfExists(connection, Buckets.secrets);
  if (secrets === undefined) {
    // No secret was ever set.
    return undefined;
  }
  const entry = await secrets.get(name);
  return entry === null || entry.operation !== 'PUT'
    ? undefined
    : String(entry.revision);
}
