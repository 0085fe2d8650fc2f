import { Buckets } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTaskEntry, type TaskEntry } from './task-entry.js';
import {
  eventsUntil,
  nextDispatch,
  publishRequest,
  publishResult,
  runEvents,
  type SchedulerHarness,
  schedulerIdle,
  startSchedulerHarness,
  taskRequest,
  taskResult,
  types,
  unfinishedResult,
} from './testing/harness.js';

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;

let h: SchedulerHarness;

beforeAll(async () => {
  h = await startSchedulerHarness();
});

afterAll(async () => {
  await h?.close();
});

async function tasksBucket() {
  return h.client.kvm.open(Buckets.tasks);
}

describe('a lost attempt', () => {
  it('is announced with task.lost and retried at once, whatever onExitCodes says', async () => {
    const request = taskRequest('run-lost', 'lost', 2);
    request.spec.retry = { delayMs: 60_000, onExitCodes: [75] };
    await publishRequest(h, request);
    await nextDispatch(h, 'lost');

    await publishResult(h, unfinishedResult('run-lost', 1, 'lost'));

    expect(await nextDispatch(h, 'lost')).toMatchObject({ attempt: 2 });
    const events = await eventsUntil(
      h,
      'run-lost',
      (event) => event.type === 'task.dispatched' && event.attempt === 2,
    );
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.lost:1',
      'task.retrying:2',
      'task.dispatched:2',
    ]);
    expect(events[1]).toMatchObject({
      reason: 'attempt 1 was lost in the test',
    });
    expect(events[2]).not.toHaveProperty('delayMs');
  });

  it('finishes the task as failed with reason lost when no attempts are left', async () => {
    await publishRequest(h, taskRequest('run-lost-last', 'lost-last', 1));
    await nextDispatch(h, 'lost-last');

    await publishResult(h, unfinishedResult('run-lost-last', 1, 'lost'));

    const events = await eventsUntil(
      h,
      'run-lost-last',
      (event) => event.type === 'task.finished',
    );
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.lost:1',
      'task.finished:1',
    ]);
    expect(events[2]).toMatchObject({
      outcome: { ok: false, reason: 'lost' },
    });
    expect(await nextDispatch(h, 'lost-last')).toBeNull();
  });
});

describe('a late result', () => {
  it('of a lost attempt is ignored with task.result-ignored, once, and changes nothing', async () => {
    await publishRequest(h, taskRequest('run-late', 'late', 2));
    await nextDispatch(h, 'late');
    await publishResult(h, unfinishedResult('run-late', 1, 'lost'));
    await nextDispatch(h, 'late');
    await schedulerIdle(h);

    // The first sandbox comes back and reports; then everything repeats.
    const late = taskResult('run-late', 1, true, 'sandbox-1');
    await publishResult(h, late);
    await schedulerIdle(h);
    await publishResult(h, late);
    await publishResult(h, unfinishedResult('run-late', 1, 'lost'));
    await schedulerIdle(h);
    await publishResult(h, taskResult('run-late', 2, true, 'sandbox-2'));
    await schedulerIdle(h);
    await publishResult(h, late);
    await schedulerIdle(h);

    const events = await runEvents(h, 'run-late');
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.lost:1',
      'task.retrying:2',
      'task.dispatched:2',
      'task.result-ignored:1',
      'task.finished:2',
    ]);
    expect(events[4]).toMatchObject({
      sandboxId: 'sandbox-1',
      reason:
        'attempt 1 had already ended (lost); attempt 2 is the current one',
    });
    expect(events[5]).toMatchObject({ outcome: { ok: true } });
    expect(await nextDispatch(h, 'late')).toBeNull();
  });
});

describe('a handed-back attempt', () => {
  it('is dispatched again with task.retrying and does not count against maxAttempts', async () => {
    await publishRequest(h, taskRequest('run-handed', 'handed', 1));
    await nextDispatch(h, 'handed');

    await publishResult(h, unfinishedResult('run-handed', 1, 'handed-back'));
    expect(await nextDispatch(h, 'handed')).toMatchObject({ attempt: 2 });
    await publishResult(h, unfinishedResult('run-handed', 2, 'handed-back'));
    expect(await nextDispatch(h, 'handed')).toMatchObject({ attempt: 3 });
    await publishResult(h, taskResult('run-handed', 3, false));

    const events = await eventsUntil(
      h,
      'run-handed',
      (event) => event.type === 'task.finished',
    );
    expect(types(events)).toEqual([
      'task.dispatched:1',
      'task.retrying:2',
      'task.dispatched:2',
      'task.retrying:3',
      'task.dispatched:3',
      'task.finished:3',
    ]);
    expect(events[1]).toMatchObject({
      reason:
        'Sandbox sandbox-2 handed attempt 1 back while it shut down; the ' +
        'next attempt does not count against maxAttempts.',
    });
    expect(events[5]).toMatchObject({ outcome: { ok: false, exitCode: 2 } });
    const entry = await (await tasksBucket()).get('run-handed.build-0');
    expect(entry?.json()).toMatchObject({
      finished: true,
      attempt: 3,
      ok: false,
      handBacks: 2,
    });
  });
});

describe('a finished task', () => {
  it('dispatches nothing when its request comes again', async () => {
    await publishRequest(h, taskRequest('run-done', 'done', 1));
    await nextDispatch(h, 'done');
    await publishResult(h, taskResult('run-done', 1, true));
    await eventsUntil(h, 'run-done', (event) => event.type === 'task.finished');

    await publishRequest(h, taskRequest('run-done', 'done', 1));
    await schedulerIdle(h);

    expect(await nextDispatch(h, 'done')).toBeNull();
    expect(types(await runEvents(h, 'run-done'))).toEqual([
      'task.dispatched:1',
      'task.finished:1',
    ]);
    expect(h.logLines).toContainEqual(
      expect.objectContaining({
        msg: 'Ignored request of a finished task',
        runId: 'run-done',
        taskId: 'build-0',
        attempt: 1,
      }),
    );
  });

  it('is remembered in a tasks bucket whose age limit is the TTL setting', async () => {
    const stream = `KV_${Buckets.tasks}`;
    expect((await h.jsm.streams.info(stream)).config.max_age).toBe(7 * DAY_NS);

    const other = await h.start({ taskTtlDays: 2 });
    await other.close();

    expect((await h.jsm.streams.info(stream)).config.max_age).toBe(2 * DAY_NS);
  });
});

describe('a result that comes back after a crash', () => {
  it('dispatches a retry stored but not sent, and announces the loss once', async () => {
    const request = taskRequest('run-half', 'half', 2);
    const kv = await tasksBucket();
    await publishRequest(h, request);
    await nextDispatch(h, 'half');
    await schedulerIdle(h);
    // As a scheduler leaves it when it dies right after storing the retry.
    const stored: TaskEntry = {
      request,
      attempt: 2,
      dispatched: false,
      retryReason: 'attempt 1 was lost in the test',
      handBacks: 0,
      endings: [{ attempt: 1, sandboxId: 'sandbox-2', reason: 'lost' }],
    };
    await kv.put('run-half.build-0', encodeTaskEntry(stored));

    await publishResult(h, unfinishedResult('run-half', 1, 'lost'));

    expect(await nextDispatch(h, 'half')).toMatchObject({ attempt: 2 });
    const events = await eventsUntil(
      h,
      'run-half',
      (event) => event.type === 'task.lost',
    );
    // The dispatcher sends the stored retry as soon as it sees it; the
    // result, handled after, only announces what happened to attempt 1.
    expect(types(events).sort()).toEqual([
      'task.dispatched:1',
      'task.dispatched:2',
      'task.lost:1',
      'task.retrying:2',
    ]);
  });
});
