import type { ServiceProcess } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  FaultTestStack,
  sandboxIdOf,
  signalAndWait,
} from '../helpers/fault-stack.js';

/** How long a stopping sandbox lets its tasks run: under the long tasks. */
const DRAIN_GRACE_MS = 1_500;
/** SIGTERMs during the run: each of the two sandbox places twice. */
const RESTARTS = 4;
/** How long a restart waits for its sandbox to run a long task. */
const LONG_TASK_WAIT_MS = 5_000;

let river: FaultTestStack;

beforeAll(async () => {
  river = await FaultTestStack.start(
    ['controller', 'scheduler', 'log-collector'],
    {
      RIVER_DRAIN_GRACE_MS: String(DRAIN_GRACE_MS),
      RIVER_TASK_LOST_MS: '3000',
      RIVER_SLOTS: '4',
    },
  );
});

afterAll(async () => {
  await river?.stop();
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('a rolling restart of the sandboxes during a run', () => {
  it('fails no task and finishes every task exactly once', async () => {
    const places: ServiceProcess[] = [
      await river.startService('sandbox'),
      await river.startService('sandbox'),
    ];
    const runId = await river.submit('sandbox-rolling.ts');

    // Which sandbox runs each long task now, from the run's events.
    const longTasks = new Map<string, string>();
    const runsLongTask = (sandbox: ServiceProcess) =>
      [...longTasks.values()].includes(sandboxIdOf(sandbox));
    const exitCodes: Array<number | null> = [];
    const terminatedAt: number[] = [];
    const restarting = (async () => {
      for (let round = 0; round < RESTARTS; round++) {
        const place = round % 2;
        const old = places[place] as ServiceProcess;
        // Stopped while it runs a long task, when it gets one in time, so
        // that the grace period runs out and a hand-back happens.
        const deadline = Date.now() + LONG_TASK_WAIT_MS;
        while (!runsLongTask(old) && Date.now() < deadline) {
          await delay(50);
        }
        await delay(300);
        terminatedAt.push(Date.now());
        const [code, replacement] = await Promise.all([
          signalAndWait(old, 'SIGTERM'),
          river.startService('sandbox'),
        ]);
        exitCodes.push(code);
        places[place] = replacement;
      }
    })();

    const events = await river.follow(runId, (event) => {
      if (!('taskId' in event) || !event.taskId.startsWith('long')) {
        return;
      }
      if (event.type === 'task.started') {
        longTasks.set(event.taskId, event.sandboxId);
      } else if (
        event.type === 'task.finished' ||
        event.type === 'task.retrying'
      ) {
        longTasks.delete(event.taskId);
      }
    });
    await restarting;

    const finished = events.at(-1);
    expect(finished).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    // The restarts all happened while the run went on.
    expect(terminatedAt).toHaveLength(RESTARTS);
    expect(Math.max(...terminatedAt)).toBeLessThan(finished?.at ?? 0);
    expect(exitCodes).toEqual(Array(RESTARTS).fill(0));

    const requested = events.filter((event) => event.type === 'task.requested');
    const ends = events.filter(
      (event): event is Extract<RunEvent, { type: 'task.finished' }> =>
        event.type === 'task.finished',
    );
    expect(requested).toHaveLength(300 + 18);
    const endsPerTask = countBy(ends, (event) => event.taskId);
    expect(
      requested.filter(
        (event) =>
          event.type === 'task.requested' &&
          endsPerTask.get(event.taskId) !== 1,
      ),
    ).toEqual([]);
    expect(ends.filter((event) => !event.outcome.ok)).toEqual([]);
    expect(events.filter((event) => event.type === 'task.lost')).toEqual([]);

    // Long tasks outlived a grace period and were handed back, without
    // counting as attempts (each task allows only one).
    const handBacks = events.filter(
      (event) =>
        event.type === 'task.retrying' && /handed attempt/.test(event.reason),
    );
    expect(handBacks.length).toBeGreaterThan(0);
    expect(
      ends.filter((event) => event.attempt > 1).map((event) => event.taskId),
    ).toEqual(
      expect.arrayContaining([
        ...new Set(
          handBacks.map((event) => ('taskId' in event ? event.taskId : '')),
        ),
      ]),
    );
  });
});
