import { rm } from 'node:fs/promises';
import type { ServiceProcess } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  FaultTestStack,
  signalAndWait,
  taskTimeline,
} from '../helpers/fault-stack.js';

/** How long the schedulers' messages stay unacknowledged: short, to test. */
const ACK_WAIT_MS = 2_000;
/** The flaky task's backoff before its second attempt. */
const BACKOFF_MS = 4_000;

let river: FaultTestStack;

beforeAll(async () => {
  river = await FaultTestStack.start(['controller', 'log-collector'], {
    RIVER_SCHEDULER_ACK_WAIT_MS: String(ACK_WAIT_MS),
    RIVER_SLOTS: '4',
  });
  await river.startService('sandbox');
  await river.startService('sandbox');
});

afterAll(async () => {
  await river?.stop();
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function key(event: RunEvent): string {
  const attempt = 'attempt' in event ? event.attempt : '-';
  return `${'taskId' in event ? event.taskId : '-'}:${attempt}`;
}

describe('a scheduler killed with SIGKILL at several moments of a run', () => {
  it('loses no task, dispatches none twice and still makes a pending retry', {
    timeout: 120_000,
  }, async () => {
    const schedulers: ServiceProcess[] = [
      await river.startService('scheduler'),
    ];
    const kill = async () => {
      const victim = schedulers.shift();
      if (victim !== undefined) {
        await signalAndWait(victim, 'SIGKILL');
      }
    };
    const runId = await river.submit('scheduler-crash.ts');

    // Three moments, one after the other: each waits for the one before.
    const kills: Array<{ moment: string; at: number }> = [];
    let restartedAfterBackoff = 0;
    let dispatched = 0;
    let finishedSince = 0;
    const events = await river.follow(runId, async (event) => {
      if (
        kills.length === 0 &&
        event.type === 'task.dispatched' &&
        ++dispatched === 10
      ) {
        // In the middle of the first burst of requests: restart at once.
        kills.push({ moment: 'first burst', at: Date.now() });
        await kill();
        schedulers.push(await river.startService('scheduler'));
      }
      if (
        kills.length === 1 &&
        event.type === 'task.retrying' &&
        event.delayMs !== undefined
      ) {
        // The failed result waits in its queue for the backoff; the
        // scheduler stays down until well past it.
        kills.push({ moment: 'retry pending', at: Date.now() });
        await kill();
        await delay(BACKOFF_MS + 1_000);
        schedulers.push(await river.startService('scheduler'));
        restartedAfterBackoff = Date.now();
        // From here on two run side by side, and one of them dies.
        schedulers.push(await river.startService('scheduler'));
      }
      if (
        kills.length === 2 &&
        event.type === 'task.finished' &&
        ++finishedSince === 3
      ) {
        kills.push({ moment: 'with a replica', at: Date.now() });
        await kill();
      }
    });
    await rm(`/tmp/river-scheduler-crash-${runId}`, { force: true });

    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(kills.map((each) => each.moment)).toEqual([
      'first burst',
      'retry pending',
      'with a replica',
    ]);
    expect(Math.max(...kills.map((each) => each.at))).toBeLessThan(
      last?.at ?? 0,
    );

    // Every attempt dispatched once, every task finished once and well.
    const dispatches = countBy(
      events.filter((event) => event.type === 'task.dispatched'),
      key,
    );
    expect([...dispatches].filter(([, count]) => count !== 1)).toEqual([]);
    const requested = events.filter((event) => event.type === 'task.requested');
    expect(requested).toHaveLength(201);
    const ends = events.filter(
      (event): event is Extract<RunEvent, { type: 'task.finished' }> =>
        event.type === 'task.finished',
    );
    const endsPerTask = countBy(ends, (event) => event.taskId);
    expect(
      requested.filter(
        (event) =>
          event.type === 'task.requested' &&
          endsPerTask.get(event.taskId) !== 1,
      ),
    ).toEqual([]);
    expect(ends.filter((event) => !event.outcome.ok)).toEqual([]);

    // And every attempt ran once, as the sandboxes themselves tell.
    const runs = countBy(
      (await river.serviceLogLines('sandbox')).filter(
        (line) => line.msg === 'Task attempt started' && line.runId === runId,
      ),
      (line) => `${line.taskId}:${line.attempt}`,
    );
    expect([...runs].filter(([, count]) => count !== 1)).toEqual([]);
    expect(runs.size).toBe(dispatches.size);

    // The pending retry happened, after its backoff and the restart.
    expect(taskTimeline(events, 'flaky-1')).toEqual([
      'task.requested:-',
      'task.dispatched:1',
      'task.started:1',
      'task.retrying:2',
      'task.dispatched:2',
      'task.started:2',
      'task.finished:2',
    ]);
    const retried = events.find(
      (event) =>
        event.type === 'task.dispatched' &&
        event.taskId === 'flaky-1' &&
        event.attempt === 2,
    );
    expect(retried?.at ?? 0).toBeGreaterThanOrEqual(
      restartedAfterBackoff - 1_000,
    );
    expect(ends.find((event) => event.taskId === 'flaky-1')).toMatchObject({
      attempt: 2,
      outcome: { stdout: 'second time lucky\n' },
    });
  });
});
