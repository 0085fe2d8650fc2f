import {
  type LocalStack,
  type ServiceProcess,
  startServiceProcess,
} from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, TEST_SERVICE_ENV } from '../helpers/river.js';

/** Short, so that a takeover is quick to see. */
const LEASE_MS = 2_000;

let stack: LocalStack;
let client: RiverClient;
const extras: ServiceProcess[] = [];

/** Starts one more controller next to the stack's. */
async function addController(): Promise<void> {
  extras.push(
    await startServiceProcess(
      'controller',
      {
        ...TEST_SERVICE_ENV,
        NATS_URL: stack.natsUrl,
        RIVER_RUN_LEASE_MS: String(LEASE_MS),
      },
      stack.logDir,
    ),
  );
}

/** The live controller process whose id the run started under. */
function controllerOf(controllerId: string): ServiceProcess {
  const found = [...stack.services, ...extras].find(
    (service) =>
      service.name === 'controller' &&
      controllerId.endsWith(`-${service.child.pid}`),
  );
  if (found === undefined) {
    throw new Error(`No controller process for ${controllerId}`);
  }
  return found;
}

/**
 * Watches a run to its end and does `fault` to the controller driving it
 * as soon as `when` holds for the events seen so far.
 */
async function runAndKill(
  file: string,
  when: (events: RunEvent[]) => boolean,
  fault: (controller: ServiceProcess) => void = (controller) =>
    controller.child.kill('SIGKILL'),
): Promise<{ events: RunEvent[]; killedAt: number; killed: string }> {
  const { runId } = await client.submit(file);
  const events: RunEvent[] = [];
  let killedAt = 0;
  let killed = '';
  for await (const event of client.watch(runId)) {
    events.push(event);
    if (killedAt === 0 && when(events)) {
      const started = events.find((e) => e.type === 'run.started');
      if (started?.type !== 'run.started') {
        throw new Error('The run had not started');
      }
      killed = started.controllerId;
      fault(controllerOf(killed));
      killedAt = Date.now();
    }
  }
  return { events, killedAt, killed };
}

/** Checks that each task of the run was requested, sent and ended once. */
function expectEachTaskOnce(events: RunEvent[], tasks: number): void {
  const taskIds = new Set(
    events.flatMap((e) => (e.type === 'task.requested' ? [e.taskId] : [])),
  );
  expect(taskIds.size).toBe(tasks);
  for (const taskId of taskIds) {
    expect(count(events, 'task.requested', taskId), taskId).toBe(1);
    expect(count(events, 'task.dispatched', taskId), taskId).toBe(1);
    expect(count(events, 'task.finished', taskId), taskId).toBe(1);
  }
}

const FAILOVER_REPORT =
  'report: a0 a1 a2 a3 a4 a5 a6 a7 | b0 b1 b2 b3 b4 b5 b6 b7 / long-done';

function count(events: RunEvent[], type: RunEvent['type'], taskId: string) {
  return events.filter(
    (event) =>
      event.type === type && 'taskId' in event && event.taskId === taskId,
  ).length;
}

beforeAll(async () => {
  stack = await startTestStack({
    env: { RIVER_RUN_LEASE_MS: String(LEASE_MS) },
  });
  await addController();
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await Promise.allSettled(extras.map((service) => service.stop()));
  await stack?.stop();
});

describe('a controller killed in the middle of a run', () => {
  it('is replaced by another, which replays the run without running any task twice', async () => {
    const { events, killedAt, killed } = await runAndKill(
      'tests/fixtures/failover.ts',
      (seen) =>
        seen.filter((e) => e.type === 'task.finished').length >= 5 &&
        seen.some((e) => e.type === 'task.started' && e.taskId === 'long-1'),
    );

    const finished = events.at(-1);
    expect(finished, JSON.stringify(finished)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    const resumed = events.find((e) => e.type === 'run.resumed');
    expect(resumed).toBeDefined();
    if (resumed?.type !== 'run.resumed') {
      return;
    }
    expect(resumed.controllerId).not.toBe(killed);
    expect(resumed.at - killedAt).toBeLessThan(LEASE_MS + 8_000);

    // 16 steps, the long task and the report.
    expectEachTaskOnce(events, 18);
    for (const job of ['steps', 'long', 'report']) {
      const started = events.filter(
        (e) => e.type === 'job.started' && e.job === job,
      );
      expect(started, job).toHaveLength(1);
    }
    const report = events.find(
      (e) => e.type === 'job.log' && e.job === 'report',
    );
    expect(report).toMatchObject({ message: FAILOVER_REPORT });
  }, 90_000);

  it('hands its runs to another at once when stopped with SIGTERM', async () => {
    await addController();
    const { events, killedAt, killed } = await runAndKill(
      'tests/fixtures/failover.ts',
      (seen) => seen.filter((e) => e.type === 'task.finished').length >= 3,
      (controller) => controller.child.kill('SIGTERM'),
    );

    expect(events.at(-1)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    const resumed = events.find((e) => e.type === 'run.resumed');
    expect(resumed).toMatchObject({ type: 'run.resumed' });
    expect(resumed?.type === 'run.resumed' && resumed.controllerId).not.toBe(
      killed,
    );
    // Given back, not left to expire: well inside one lease.
    expect((resumed?.at ?? Infinity) - killedAt).toBeLessThan(LEASE_MS);
    expectEachTaskOnce(events, 18);
  }, 90_000);

  it('leaves a run it was paused out of to the controller that took it over', async () => {
    await addController();
    let paused: ServiceProcess | undefined;
    const { events } = await runAndKill(
      'tests/fixtures/failover.ts',
      (seen) => seen.filter((e) => e.type === 'task.finished').length >= 3,
      (controller) => {
        paused = controller;
        controller.child.kill('SIGSTOP');
        // Long enough for the lease to pass and the other to take over.
        setTimeout(() => controller.child.kill('SIGCONT'), LEASE_MS + 3_000);
      },
    );

    expect(events.at(-1)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    expect(events.some((e) => e.type === 'run.resumed')).toBe(true);
    expectEachTaskOnce(events, 18);
    const report = events.filter(
      (e) => e.type === 'job.log' && e.job === 'report',
    );
    expect(report).toHaveLength(1);
    expect(report[0]).toMatchObject({ message: FAILOVER_REPORT });
    expect(paused?.child.exitCode).toBeNull();
  }, 90_000);

  it('fails the run, naming job and step, when the replay asks for another task', async () => {
    await addController();
    const { events } = await runAndKill(
      'tests/fixtures/failover-diverge.ts',
      (seen) =>
        seen.some((e) => e.type === 'task.started' && e.taskId === 'reader-2'),
    );

    // The task in flight when the run failed may finish after it.
    const finished = events.find((e) => e.type === 'run.finished');
    expect(finished).toMatchObject({ type: 'run.finished', status: 'failed' });
    const reader = events.find(
      (e) => e.type === 'job.finished' && e.job === 'reader',
    );
    expect(reader).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(
          'job reader diverged from its recorded history: at step 2 ' +
            '\\(task reader-2\\) its history has .*echo counter had \\d+ ' +
            'steps.* but the replay asked for .*echo counter had \\d+ steps',
        ),
      ),
    });
  }, 90_000);
});
