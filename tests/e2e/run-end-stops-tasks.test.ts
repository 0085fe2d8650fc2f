import { execFileSync } from 'node:child_process';
import type { LocalStack } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  river,
  servicesAlive,
  spawnRiver,
  startTestStack,
} from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { RIVER_RUN_MEMORY_MB: '64', RIVER_RUN_MAX_TASKS: '5' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** Processes from `ps`: pid, parent pid and command line. */
function processes(): { pid: number; ppid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      return match === null
        ? []
        : [
            {
              pid: Number(match[1]),
              ppid: Number(match[2]),
              args: match[3] ?? '',
            },
          ];
    });
}

/** The events of a run until its task `taskId` finished after the run. */
async function watchToTheEnd(
  runId: string,
  taskId: string,
  onEvent: (event: RunEvent) => void = () => undefined,
): Promise<{ runEnd: RunEvent; taskEnd: RunEvent; gapMs: number }> {
  const client = await RiverClient.connect({ servers: stack.natsUrl });
  let runEnd: RunEvent | undefined;
  let taskEnd: RunEvent | undefined;
  let runEndAt = 0;
  let taskEndAt = 0;
  try {
    for await (const event of client.watch(runId)) {
      onEvent(event);
      if (event.type === 'run.finished') {
        runEnd = event;
        runEndAt = Date.now();
      }
      if (event.type === 'task.finished' && event.taskId === taskId) {
        taskEnd = event;
        taskEndAt = Date.now();
      }
      if (runEnd !== undefined && taskEnd !== undefined) {
        break;
      }
    }
  } finally {
    await client.close();
  }
  if (runEnd === undefined || taskEnd === undefined) {
    throw new Error(`Run ${runId} or its task ${taskId} did not finish`);
  }
  return { runEnd, taskEnd, gapMs: taskEndAt - runEndAt };
}

describe('a run whose job logic dies', () => {
  it('has its running task cancelled when the job logic exceeds its memory', async () => {
    const run = spawnRiver(
      ['run', 'tests/fixtures/run-end-hog.ts'],
      stack.natsUrl,
    );
    const runId = await run.runId;
    const startedAt = Date.now();

    const { runEnd, taskEnd, gapMs } = await watchToTheEnd(runId, 'hog-1');
    const code = await run.exited;
    const elapsedMs = Date.now() - startedAt;

    expect(runEnd).toMatchObject({ type: 'run.finished', status: 'failed' });
    expect(runEnd.type === 'run.finished' && runEnd.error).toMatch(
      /memory limit of 64 MB/,
    );
    expect(taskEnd).toMatchObject({
      outcome: { ok: false, reason: 'cancelled' },
    });
    expect(gapMs).toBeLessThan(5_000);
    expect(elapsedMs).toBeLessThan(20_000);
    expect(code).toBe(1);
    expect(run.output()).toMatch(/hog-1 cancelled with its run/);
    await vi.waitFor(
      () =>
        expect(
          processes().filter((p) => p.args.includes('river-run-end-probe')),
        ).toEqual([]),
      { timeout: 3_000 },
    );
  });

  it('has its running task cancelled when the job logic process is killed', async () => {
    const run = spawnRiver(
      ['run', 'tests/fixtures/run-end-killed.ts'],
      stack.natsUrl,
    );
    const runId = await run.runId;
    const controller = stack.services.find((s) => s.name === 'controller');
    let killed: number[] = [];

    const { runEnd, taskEnd, gapMs } = await watchToTheEnd(
      runId,
      'wait-1',
      (event) => {
        if (event.type !== 'task.started' || killed.length > 0) {
          return;
        }
        // The controller's only children are its runs' job logic and the
        // one it keeps started ahead for the next run, killed too.
        killed = processes()
          .filter((p) => p.ppid === controller?.child.pid)
          .map((p) => p.pid);
        for (const pid of killed) {
          process.kill(pid, 'SIGKILL');
        }
      },
    );
    const code = await run.exited;

    expect(killed.length).toBe(2);
    expect(runEnd).toMatchObject({ type: 'run.finished', status: 'failed' });
    expect(taskEnd).toMatchObject({
      outcome: { ok: false, reason: 'cancelled' },
    });
    expect(gapMs).toBeLessThan(5_000);
    expect(code).toBe(1);
    expect(servicesAlive(stack)).toBe(true);
  });
});

describe('RIVER_RUN_MAX_TASKS', () => {
  it('fails the job that asks for more tasks than a run may have', async () => {
    const result = await river(
      ['run', 'tests/fixtures/too-many-tasks.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /Task many-6 was refused: this run already asked for 5 tasks.*RIVER_RUN_MAX_TASKS=5/,
    );
    expect(servicesAlive(stack)).toBe(true);

    const next = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);
    expect(next.code, next.stdout).toBe(0);
  });
});
