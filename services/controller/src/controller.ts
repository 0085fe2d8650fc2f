import {
  Consumers,
  type RunSubmission,
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
  ensureStreams,
  type Logger,
  publishEvent,
  runShutdown,
} from '@river/protocol/internal';
import type { ControllerConfig } from './config.js';
import { followOutcomes } from './outcome-feed.js';
import { RunDriver } from './run-driver.js';
import { TaskOutcomes } from './task-outcomes.js';

/** How long a submission may stay unacknowledged before redelivery. */
const SUBMISSION_ACK_WAIT_MS = 60_000;

/** A running controller. */
export interface RunningController {
  /** Stops taking submissions, abandons active runs, closes NATS. */
  close(): Promise<void>;
}

/**
 * Starts a controller: it takes run submissions, drives each run's job
 * logic and publishes the run's events.
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
  });
  const { js, jsm } = connection;
  await ensureStreams(jsm);
  await ensureDurable(jsm, {
    stream: Streams.submissions,
    name: Consumers.controllerSubmissions,
    filterSubject: Subjects.submit,
    ackWaitMs: SUBMISSION_ACK_WAIT_MS,
  });

  const outcomes = new TaskOutcomes();
  const feed = await followOutcomes(js, outcomes, log);
  const active = new Map<string, RunDriver>();
  const deps = {
    connection,
    outcomes,
    log,
    controllerId: config.controllerId,
    memoryLimitMb: config.runMemoryLimitMb,
    stallLimitMs: config.jobStallLimitMs,
  };
  const cancels = await CancelWatch.start(connection, log, (runId, reason) => {
    void active.get(runId)?.cancel(reason);
  });

  async function takeSubmission(submission: RunSubmission): Promise<void> {
    const { runId } = submission;
    if (active.has(runId)) {
      log.debug(
        { runId, subject: Subjects.submit },
        'Ignored repeated submission',
      );
      return;
    }
    await publishEvent(
      js,
      runId,
      'run.submitted',
      { file: submission.file, bundleDigest: submission.bundleDigest },
      `${runId}.submitted`,
    );
    log.info({ runId, file: submission.file }, 'Run submitted');
    const driver = new RunDriver(deps, submission);
    active.set(runId, driver);
    const cancelled = cancels.reasonFor(runId);
    if (cancelled !== undefined) {
      void driver.cancel(cancelled);
    }
    driver
      .run()
      .catch((error: unknown) => log.error({ runId, err: error }, 'Run failed'))
      .finally(() => active.delete(runId));
  }

  const loops: ConsumeLoop[] = [
    consumeMessages({
      js,
      stream: Streams.submissions,
      consumer: Consumers.controllerSubmissions,
      kind: 'submission',
      concurrency: 1,
      log,
      handle: async (submission) => {
        await takeSubmission(submission);
        return 'ack';
      },
    }),
  ];
  log.info({ controllerId: config.controllerId }, 'Controller started');

  return {
    async close() {
      await runShutdown(log, [
        ['stop consumers', () => Promise.all(loops.map((loop) => loop.stop()))],
        ['stop watching cancellations', async () => cancels.stop()],
        ['stop following outcomes', () => feed.stop()],
        [
          'abandon runs',
          () => Promise.all([...active.values()].map((run) => run.abandon())),
        ],
        ['drain connection', () => connection.nc.drain()],
      ]);
      log.info('Controller stopped');
    },
  };
}
