import { Writable } from 'node:stream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  Buckets,
  Consumers,
  decode,
  encode,
  type RunEvent,
  SCHEMA_VERSION,
  Streams,
  Subjects,
  type TaskDispatch,
  type TaskRequest,
  type TaskResult,
} from '@river/protocol';
import {
  connectRiver,
  ensureDurable,
  openFleetBucket,
  type RiverConnection,
} from '@river/protocol/internal';
import { pino } from 'pino';
import { expect } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import { Presence } from '../../../sandbox/src/presence.js';
import type { SchedulerConfig } from '../config.js';
import { type Scheduler, startScheduler } from '../scheduler.js';

/** How long a test waits for the scheduler to act. */
const WAIT_MS = 10_000;

/** A nats-server, a scheduler on it and a client for the test to drive. */
export interface SchedulerHarness {
  server: TestNatsServer;
  client: RiverConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Every line the scheduler logged, parsed. */
  logLines: Array<Record<string, unknown>>;
  /** Starts a scheduler with the harness's logger; the harness closes it. */
  start(settings?: Partial<SchedulerConfig>): Promise<Scheduler>;
  /** Closes the running scheduler and starts a new one. */
  restart(): Promise<void>;
  /**
   * Announces the test as a live sandbox of `pool` (renewed every second
   * until the harness closes), so that the scheduler dispatches the
   * pool's tasks to it. Repeats are no-ops.
   */
  announce(pool: string, slots?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a nats-server and a scheduler that logs into `logLines`. */
export async function startSchedulerHarness(): Promise<SchedulerHarness> {
  const server = await startNatsServer();
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(line, _encoding, done) {
      logLines.push(JSON.parse(String(line)));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const schedulers: Scheduler[] = [];
  const start = async (settings: Partial<SchedulerConfig> = {}) => {
    const scheduler = await startScheduler(
      {
        natsUrl: server.url,
        logLevel: 'debug',
        retentionDays: 1,
        ...settings,
      },
      { log },
    );
    schedulers.push(scheduler);
    return scheduler;
  };
  let main = await start();
  const client = await connectRiver({
    servers: server.url,
    name: 'scheduler-test',
  });
  const presences = new Map<string, Presence>();
  const fleet = await openFleetBucket(client, Buckets.sandboxes);
  const silentLog = pino({ level: 'silent' });

  return {
    server,
    client,
    js: client.js,
    jsm: client.jsm,
    logLines,
    start,
    async restart() {
      await main.close();
      main = await start();
    },
    async announce(pool, slots = 1_000) {
      if (presences.has(pool)) {
        return;
      }
      const presence = new Presence(
        fleet,
        { sandboxId: `test-${pool}`, pool, labels: [], slots },
        { busy: () => 0, draining: () => false },
        silentLog,
      );
      presences.set(pool, presence);
      await presence.start();
    },
    async close() {
      await Promise.all([...presences.values()].map((p) => p.stop()));
      await Promise.all(schedulers.map((scheduler) => scheduler.close()));
      await client.nc.close();
      await server.dispose();
    },
  };
}

/** A request for task `build-0` of `runId` on `pool`. */
export function taskRequest(
  runId: string,
  pool: string,
  maxAttempts: number,
): TaskRequest {
  return {
    schema: SCHEMA_VERSION,
    runId,
    taskId: 'build-0',
    job: 'build',
    name: 'make',
    requestedAt: Date.now(),
    spec: {
      command: ['make', 'all'],
      env: { CC: 'gcc' },
      cwd: '',
      timeoutMs: 60_000,
      inputs: [],
      outputs: ['out'],
      pool,
      maxAttempts,
    },
  };
}

/** A result of task `build-0` that exited with 0, or with 2. */
export function taskResult(
  runId: string,
  attempt: number,
  ok: boolean,
  sandboxId = 'sandbox-1',
): TaskResult {
  return {
    schema: SCHEMA_VERSION,
    runId,
    taskId: 'build-0',
    attempt,
    sandboxId,
    finishedAt: Date.now(),
    outcome: {
      ok,
      reason: 'exited',
      exitCode: ok ? 0 : 2,
      signal: null,
      durationMs: 12,
      stdout: '',
      stderr: ok ? '' : 'make: *** [all] Error 2',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: [],
    },
  };
}

/** A result that reports an attempt which its sandbox did not finish. */
export function unfinishedResult(
  runId: string,
  attempt: number,
  reason: 'lost' | 'handed-back',
  sandboxId = 'sandbox-2',
): TaskResult {
  const result = taskResult(runId, attempt, false, sandboxId);
  return {
    ...result,
    outcome: {
      ...result.outcome,
      reason,
      exitCode: null,
      stderr: '',
      message: `attempt ${attempt} was ${reason} in the test`,
    },
  };
}

/**
 * Publishes a task request, without a message id, after announcing the
 * test as a sandbox of the task's pool.
 */
export async function publishRequest(
  harness: SchedulerHarness,
  request: TaskRequest,
): Promise<void> {
  await harness.announce(request.spec.pool);
  await harness.js.publish(
    Subjects.taskRequest,
    encode('taskRequest', request),
  );
}

/** Publishes a task result, without a message id. */
export async function publishResult(
  harness: SchedulerHarness,
  result: TaskResult,
): Promise<void> {
  await harness.js.publish(Subjects.taskResult, encode('taskResult', result));
}

/**
 * Takes the next dispatch of `pool`, as that pool's only sandbox would,
 * announcing the test as that sandbox first.
 */
export async function nextDispatch(
  harness: SchedulerHarness,
  pool: string,
): Promise<TaskDispatch | null> {
  await harness.announce(pool);
  const name = Consumers.sandboxPool(pool);
  await ensureDurable(harness.jsm, {
    stream: Streams.dispatch,
    name,
    filterSubject: Subjects.dispatch(pool),
    ackWaitMs: 30_000,
  });
  const consumer = await harness.js.consumers.get(Streams.dispatch, name);
  const msg = await consumer.next({ expires: 3_000 });
  if (msg === null) {
    return null;
  }
  msg.ack();
  expect(msg.subject).toBe(Subjects.dispatch(pool));
  return decode('taskDispatch', msg.subject, msg.data);
}

/** Every event of the run stored so far, in order. */
export async function runEvents(
  harness: SchedulerHarness,
  runId: string,
): Promise<RunEvent[]> {
  const consumer = await harness.js.consumers.get(Streams.events, {
    filter_subjects: Subjects.runEvents(runId),
  });
  let pending = (await consumer.info(true)).num_pending;
  const events: RunEvent[] = [];
  while (pending > 0) {
    const msg = await consumer.next({ expires: 2_000 });
    if (msg === null) {
      break;
    }
    events.push(decode('event', msg.subject, msg.data));
    pending = msg.info.pending;
  }
  await consumer.delete().catch(() => {});
  return events;
}

/** Reads until `done` holds, or gives the last value after a while. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The run's events until one satisfies `last`. */
export function eventsUntil(
  harness: SchedulerHarness,
  runId: string,
  last: (event: RunEvent) => boolean,
): Promise<RunEvent[]> {
  return eventually(
    () => runEvents(harness, runId),
    (found) => found.some(last),
  );
}

/** Waits until the scheduler has handled every request and result. */
export async function schedulerIdle(harness: SchedulerHarness): Promise<void> {
  const durables = [
    [Streams.taskRequests, Consumers.schedulerRequests],
    [Streams.taskResults, Consumers.schedulerResults],
  ] as const;
  for (const [stream, name] of durables) {
    const info = await eventually(
      () => harness.jsm.consumers.info(stream, name),
      (i) => i.num_pending === 0 && i.num_ack_pending === 0,
    );
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  }
}

/** Events as `type:attempt`, for comparing histories at a glance. */
export function types(events: RunEvent[]): string[] {
  return events.map(
    (event) => `${event.type}:${'attempt' in event ? event.attempt : '-'}`,
  );
}
