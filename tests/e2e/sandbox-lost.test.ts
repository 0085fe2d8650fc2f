import type { ServiceProcess } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultTestStack,
  killTaskProcesses,
  sandboxIdOf,
  taskTimeline,
} from '../helpers/fault-stack.js';

/** The lost timeout of these sandboxes. */
const TASK_LOST_MS = 3_000;

let river: FaultTestStack;

beforeAll(async () => {
  river = await FaultTestStack.start(
    ['controller', 'scheduler', 'log-collector'],
    { RIVER_TASK_LOST_MS: String(TASK_LOST_MS), RIVER_SLOTS: '1' },
  );
});

afterAll(async () => {
  await river?.stop();
});

/** Makes sure two sandboxes run, starting what is missing. */
async function twoSandboxes(): Promise<ServiceProcess[]> {
  const alive = () =>
    river.started.filter(
      (service) =>
        service.name === 'sandbox' &&
        service.child.exitCode === null &&
        service.child.signalCode === null,
    );
  while (alive().length < 2) {
    await river.startService('sandbox');
  }
  return alive();
}

function find(
  events: RunEvent[],
  type: RunEvent['type'],
  attempt: number,
): RunEvent | undefined {
  return events.find(
    (event) =>
      event.type === type && 'attempt' in event && event.attempt === attempt,
  );
}

describe('a sandbox killed with SIGKILL while it runs a task', () => {
  it('has the task declared lost after the lost timeout and retried on the other sandbox', async () => {
    const seconds = '4.0731';
    const marker = `sleep ${seconds}`;
    await twoSandboxes();
    const runId = await river.submit('sandbox-lost.ts', { seconds });

    let killedAt = 0;
    let victim: ServiceProcess | undefined;
    const events = await river.follow(runId, (event) => {
      if (event.type === 'task.started' && event.attempt === 1) {
        victim = river.sandboxById(event.sandboxId);
        victim.child.kill('SIGKILL');
        killedAt = Date.now();
      }
    });
    await killTaskProcesses(marker);

    expect(events.at(-1)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    expect(taskTimeline(events, 'slow-1')).toEqual([
      'task.requested:-',
      'task.dispatched:1',
      'task.started:1',
      'task.lost:1',
      'task.retrying:2',
      'task.dispatched:2',
      'task.started:2',
      'task.finished:2',
    ]);
    const lost = find(events, 'task.lost', 1);
    expect(lost).toMatchObject({
      reason: expect.stringContaining('no heartbeat for 3000 ms'),
    });
    // The last heartbeat came up to a third of the timeout before the kill.
    const lostAfterMs = (lost?.at ?? 0) - killedAt;
    expect(lostAfterMs).toBeGreaterThanOrEqual((TASK_LOST_MS * 2) / 3 - 100);
    expect(lostAfterMs).toBeLessThan(TASK_LOST_MS + 10_000);
    const retried = find(events, 'task.started', 2);
    expect(retried).toMatchObject({ sandboxId: expect.any(String) });
    expect(victim && sandboxIdOf(victim)).not.toBe(
      retried?.type === 'task.started' ? retried.sandboxId : undefined,
    );
    expect(find(events, 'task.finished', 2)).toMatchObject({
      outcome: { ok: true, stdout: 'started\ndone\n' },
    });
  });
});

describe('a sandbox cut off (SIGSTOP) past the lost timeout', () => {
  it('has its late result ignored with task.result-ignored, changing nothing', async () => {
    const seconds = '5.0732';
    const marker = `sleep ${seconds}`;
    await twoSandboxes();
    const runId = await river.submit('sandbox-lost.ts', { seconds });

    let victim: ServiceProcess | undefined;
    try {
      await river.follow(runId, async (event) => {
        if (event.type === 'task.started' && event.attempt === 1) {
          victim = river.sandboxById(event.sandboxId);
          // The event comes before the process starts; let it start.
          await new Promise((resolve) => setTimeout(resolve, 500));
          victim.child.kill('SIGSTOP');
        }
        if (event.type === 'task.started' && event.attempt === 2) {
          victim?.child.kill('SIGCONT');
        }
      });
    } finally {
      victim?.child.kill('SIGCONT');
    }

    // The woken sandbox reports attempt 1 once its sleep has ended.
    const deadline = Date.now() + 20_000;
    let events = await river.history(runId);
    while (
      find(events, 'task.result-ignored', 1) === undefined &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      events = await river.history(runId);
    }
    // Anything that the late result might still set off, given time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    events = await river.history(runId);
    await killTaskProcesses(marker);

    expect(find(events, 'task.result-ignored', 1)).toMatchObject({
      sandboxId: victim && sandboxIdOf(victim),
      reason: expect.stringMatching(
        /attempt 1 had already ended \(lost\)|already finished/,
      ),
    });
    const timeline = taskTimeline(events, 'slow-1').filter(
      (entry) => entry !== 'task.result-ignored:1',
    );
    expect(timeline).toEqual([
      'task.requested:-',
      'task.dispatched:1',
      'task.started:1',
      'task.lost:1',
      'task.retrying:2',
      'task.dispatched:2',
      'task.started:2',
      'task.finished:2',
    ]);
    expect(events.filter((event) => event.type === 'run.finished')).toEqual([
      expect.objectContaining({ status: 'succeeded' }),
    ]);
    expect(victim?.child.exitCode).toBeNull();
  });
});
