import { Writable } from 'node:stream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
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
import { connectRiver, ensureDurable } from '@river/protocol/internal';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../tests/helpers/nats-server.js';
import { type Scheduler, startScheduler } from './scheduler.js';

const WAIT_MS = 10_000;

let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let scheduler: Scheduler;
const logLines: Array<Record<string, unknown>> = [];

function captureLogger() {
  const sink = new Writable({
    write(line, _encoding, done) {
      logLines.push(JSON.parse(String(line)));
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

function start() {
  return startScheduler(
    { natsUrl: server.url, logLevel: 'debug', retentionDays: 1 },
    { log: captureLogger() },
  );
}

beforeAll(async () => {
  server = await startNatsServer();
  scheduler = await start();
  ({ nc, js, jsm } = await connectRiver({
    servers: server.url,
    name: 'scheduler-test',
  }));
});

afterAll(async () => {
  await scheduler?.close();
  await nc?.close();
  await server?.dispose();
});

function taskRequest(
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

function taskResult(runId: string, attempt: number, ok: boolean): TaskResult {
  return {
    schema: SCHEMA_VERSION,
    runId,
    taskId: 'build-0',
    attempt,
    sandboxId: 'sandbox-1',
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

async function publishRequest(request: TaskRequest) {
  await js.publish(Subjects.taskRequest, encode('taskRequest', request));
}

async function publishResult(result: TaskResult) {
  await js.publish(Subjects.taskResult, encode('taskResult', result));
}

/** Takes the next dispatch of `pool`, as that pool's only sandbox would. */
async function nextDispatch(pool: string): Promise<TaskDispatch | null> {
  const name = Consumers.sandboxPool(pool);
  await ensureDurable(jsm, {
    stream: Streams.dispatch,
    name,
    filterSubject: Subjects.dispatch(pool),
    ackWaitMs: 30_000,
  });
  const consumer = await js.consumers.get(Streams.dispatch, name);
  const msg = await consumer.next({ expires: 3_000 });
  if (msg === null) {
    return null;
  }
  msg.ack();
  expect(msg.subject).toBe(Subjects.dispatch(pool));
  return decode('taskDispatch', msg.subject, msg.data);
}

/** Every event of the run stored so far, in order. */
async function runEvents(runId: string): Promise<RunEvent[]> {
  const consumer = await js.consumers.get(Streams.events, {
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

async function eventually<T>(
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

/** Waits until the scheduler has handled every request and result. */
async function schedulerIdle() {
  const durables = [
    [Streams.taskRequests, Consumers.schedulerRequests],
    [Streams.taskResults, Consumers.schedulerResults],
  ] as const;
  for (const [stream, name] of durables) {
    const info = await eventually(
      () => jsm.consumers.info(stream, name),
      (i) => i.num_pending === 0 && i.num_ack_pending === 0,
    );
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  }
}

function types(events: RunEvent[]) {
  return events.map((event) => `${event.type}:${attemptOf(event)}`);
}

function attemptOf(event: RunEvent) {
  return 'attempt' in event ? event.attempt : '-';
}

describe('scheduler', () => {
  it("dispatches a request to its pool's subject and emits task.dispatched", async () => {
    const request = taskRequest('run-dispatch', 'gpu', 3);
    await publishRequest(request);

    const dispatch = await nextDispatch('gpu');
    expect(dispatch).toEqual({
      schema: SCHEMA_VERSION,
      runId: 'run-dispatch',
      taskId: 'build-0',
      job: 'build',
      name: 'make',
      attempt: 1,
      spec: request.spec,
    });

    const events = await eventually(
      () => runEvents('run-dispatch'),
      (found) => found.length >= 1,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'task.dispatched',
      runId: 'run-dispatch',
      taskId: 'build-0',
      attempt: 1,
      pool: 'gpu',
    });
  });

  it('dispatches a request that is delivered twice only once', async () => {
    const request = taskRequest('run-twice', 'twice', 2);
    await publishRequest(request);
    await schedulerIdle();
    await publishRequest(request);
    await schedulerIdle();

    expect(await nextDispatch('twice')).toMatchObject({ attempt: 1 });
    expect(await nextDispatch('twice')).toBeNull();
    expect(types(await runEvents('run-twice'))).toEqual(['task.dispatched:1']);
    expect(
      logLines.filter(
        (line) =>
          line.msg === 'Ignored repeated task request' &&
          line.runId === 'run-twice',
      ),
    ).toHaveLength(1);
  });

  it('re-dispatches a failed result with attempts left as attempt 2 with task.retrying', async () => {
    await publishRequest(taskRequest('run-retry', 'retry', 2));
    expect(await nextDispatch('retry')).toMatchObject({ attempt: 1 });

    await publishResult(taskResult('run-retry', 1, false));
    const second = await nextDispatch('retry');
    expect(second).toMatchObject({
      runId: 'run-retry',
      taskId: 'build-0',
      attempt: 2,
      spec: { command: ['make', 'all'], pool: 'retry', maxAttempts: 2 },
    });

    const events = await eventually(
      () => runEvents('run-retry'),
      (found) => found.length >= 3,
    );
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.retrying:2',
      'task.dispatched:2',
    ]);
    expect(events[1]).toMatchObject({ reason: 'exited with code 2' });
  });

  it('reports the last failed attempt as task.finished when no attempts are left', async () => {
    await publishRequest(taskRequest('run-exhausted', 'exhausted', 2));
    await nextDispatch('exhausted');
    await publishResult(taskResult('run-exhausted', 1, false));
    await nextDispatch('exhausted');
    await publishResult(taskResult('run-exhausted', 2, false));

    const events = await eventually(
      () => runEvents('run-exhausted'),
      (found) => found.some((event) => event.type === 'task.finished'),
    );
    const finished = events.at(-1);
    expect(finished).toMatchObject({
      type: 'task.finished',
      job: 'build',
      name: 'make',
      attempt: 2,
      outcome: { ok: false, exitCode: 2 },
    });
    expect(await nextDispatch('exhausted')).toBeNull();
  });

  it('yields exactly one task.finished when the final result is published twice', async () => {
    await publishRequest(taskRequest('run-final', 'final', 3));
    await nextDispatch('final');

    // Twice at once (handled side by side), then once more after the task
    // is forgotten, as a late redelivery would arrive.
    await publishResult(taskResult('run-final', 1, true));
    await publishResult(taskResult('run-final', 1, true));
    await schedulerIdle();
    await publishResult(taskResult('run-final', 1, true));
    await schedulerIdle();

    const events = await runEvents('run-final');
    expect(types(events)).toEqual(['task.dispatched:1', 'task.finished:1']);
    expect(events[1]).toMatchObject({ outcome: { ok: true, exitCode: 0 } });
    expect(
      logLines.some(
        (line) =>
          line.msg === 'Ignored result of an unknown task' &&
          line.runId === 'run-final',
      ),
    ).toBe(true);
  });

  it('ignores a result for an attempt other than the current one', async () => {
    await publishRequest(taskRequest('run-stale', 'stale', 3));
    await nextDispatch('stale');

    await publishResult(taskResult('run-stale', 2, true));
    await schedulerIdle();
    expect(types(await runEvents('run-stale'))).toEqual(['task.dispatched:1']);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'Ignored result of an attempt that is not the current one',
        runId: 'run-stale',
        taskId: 'build-0',
        attempt: 2,
        subject: Subjects.taskResult,
      }),
    );

    await publishResult(taskResult('run-stale', 1, true));
    const events = await eventually(
      () => runEvents('run-stale'),
      (found) => found.length >= 2,
    );
    expect(types(events)).toEqual(['task.dispatched:1', 'task.finished:1']);
  });

  it('retries from the stored request after the scheduler restarts', async () => {
    await publishRequest(taskRequest('run-restart', 'restart', 2));
    expect(await nextDispatch('restart')).toMatchObject({ attempt: 1 });
    await schedulerIdle();

    await scheduler.close();
    scheduler = await start();

    await publishResult(taskResult('run-restart', 1, false));
    expect(await nextDispatch('restart')).toMatchObject({
      attempt: 2,
      spec: { command: ['make', 'all'], env: { CC: 'gcc' } },
    });
  });

  it('acks malformed and wrong-version messages and still handles the next good one', async () => {
    const wrongVersion = { ...taskRequest('run-bad', 'bad', 1), schema: 2 };
    const missingSpec: Partial<TaskRequest> = taskRequest('run-bad', 'bad', 1);
    delete missingSpec.spec;
    await js.publish(Subjects.taskRequest, new Uint8Array([0xc1, 0xff]));
    await js.publish(
      Subjects.taskRequest,
      encode('taskRequest', wrongVersion as unknown as TaskRequest),
    );
    await js.publish(
      Subjects.taskRequest,
      encode('taskRequest', missingSpec as TaskRequest),
    );
    await js.publish(Subjects.taskResult, new Uint8Array([0x01]));

    await publishRequest(taskRequest('run-good', 'good', 1));
    expect(await nextDispatch('good')).toMatchObject({ runId: 'run-good' });
    await schedulerIdle();

    expect(await nextDispatch('bad')).toBeNull();
    const rejected = logLines.filter(
      (line) => line.msg === 'Rejected malformed message',
    );
    expect(rejected.map((line) => [line.subject, line.field])).toEqual([
      [Subjects.taskRequest, ''],
      [Subjects.taskRequest, '/schema'],
      [Subjects.taskRequest, '/spec'],
      [Subjects.taskResult, ''],
    ]);
    const info = await jsm.consumers.info(
      Streams.taskRequests,
      Consumers.schedulerRequests,
    );
    expect(info.num_redelivered).toBe(0);
  });
});
