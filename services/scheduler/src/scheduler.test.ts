import {
  Consumers,
  encode,
  SCHEMA_VERSION,
  Streams,
  Subjects,
  type TaskRequest,
} from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  schedulerIdle as idle,
  nextDispatch as nextDispatchOf,
  publishRequest as publishRequestOf,
  publishResult as publishResultOf,
  runEvents as runEventsOf,
  type SchedulerHarness,
  startSchedulerHarness,
  taskRequest,
  taskResult,
  types,
} from './testing/harness.js';

let h: SchedulerHarness;

beforeAll(async () => {
  h = await startSchedulerHarness();
});

afterAll(async () => {
  await h?.close();
});

const publishRequest = (request: TaskRequest) => publishRequestOf(h, request);
const publishResult = (result: Parameters<typeof publishResultOf>[1]) =>
  publishResultOf(h, result);
const nextDispatch = (pool: string) => nextDispatchOf(h, pool);
const runEvents = (runId: string) => runEventsOf(h, runId);
const schedulerIdle = () => idle(h);

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
      h.logLines.filter(
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
      h.logLines.some(
        (line) =>
          line.msg === 'Repeated result of a finished task' &&
          line.runId === 'run-final',
      ),
    ).toBe(true);
  });

  it('ignores a result for an attempt other than the current one', async () => {
    await publishRequest(taskRequest('run-stale', 'stale', 3));
    await nextDispatch('stale');

    await publishResult(taskResult('run-stale', 2, true));
    await schedulerIdle();
    const ignored = await runEvents('run-stale');
    expect(types(ignored)).toEqual([
      'task.dispatched:1',
      'task.result-ignored:2',
    ]);
    expect(ignored[1]).toMatchObject({
      sandboxId: 'sandbox-1',
      reason: 'attempt 2 was never dispatched; attempt 1 is the current one',
    });
    expect(h.logLines).toContainEqual(
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
      (found) => found.length >= 3,
    );
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.result-ignored:2',
      'task.finished:1',
    ]);
  });

  it('retries from the stored request after the scheduler restarts', async () => {
    await publishRequest(taskRequest('run-restart', 'restart', 2));
    expect(await nextDispatch('restart')).toMatchObject({ attempt: 1 });
    await schedulerIdle();

    await h.restart();

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
    await h.js.publish(Subjects.taskRequest, new Uint8Array([0xc1, 0xff]));
    await h.js.publish(
      Subjects.taskRequest,
      encode('taskRequest', wrongVersion as unknown as TaskRequest),
    );
    await h.js.publish(
      Subjects.taskRequest,
      encode('taskRequest', missingSpec as TaskRequest),
    );
    await h.js.publish(Subjects.taskResult, new Uint8Array([0x01]));

    await publishRequest(taskRequest('run-good', 'good', 1));
    expect(await nextDispatch('good')).toMatchObject({ runId: 'run-good' });
    await schedulerIdle();

    expect(await nextDispatch('bad')).toBeNull();
    const rejected = h.logLines.filter(
      (line) => line.msg === 'Rejected malformed message',
    );
    expect(rejected.map((line) => [line.subject, line.field])).toEqual([
      [Subjects.taskRequest, ''],
      [Subjects.taskRequest, '/schema'],
      [Subjects.taskRequest, '/spec'],
      [Subjects.taskResult, ''],
    ]);
    const info = await h.jsm.consumers.info(
      Streams.taskRequests,
      Consumers.schedulerRequests,
    );
    expect(info.num_redelivered).toBe(0);
  });
});
