import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  river,
  runIdOf,
  servicesAlive,
  startTestStack,
} from '../helpers/river.js';

const PIPELINE = 'tests/security/tasks-limits.pipeline.ts';
/** The sandbox's own ceiling on a task's processes in this test. */
const SANDBOX_PROCESSES = 48;

type Outcome = Extract<RunEvent, { type: 'task.finished' }>['outcome'];

describe('tasks that try to exhaust the host under the bwrap runner', () => {
  let stack: LocalStack;
  let client: RiverClient;
  let workDir: string;
  const outcomes = new Map<string, Outcome>();
  let runMs = 0;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'river-work-'));
    stack = await startTestStack({
      env: {
        RIVER_RUNNER: 'bwrap',
        RIVER_WORK_DIR: workDir,
        RIVER_TASK_PROCESSES: String(SANDBOX_PROCESSES),
      },
    });
    client = await RiverClient.connect({ servers: stack.natsUrl });

    const started = Date.now();
    const run = await river(['run', PIPELINE], stack.natsUrl, 180_000);
    runMs = Date.now() - started;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for await (const event of client.watch(runIdOf(run.stdout), {
      follow: false,
    })) {
      if (event.type === 'task.finished') {
        outcomes.set(event.job, event.outcome);
      }
    }
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    if (workDir !== undefined) {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('stops a fork bomb at its process limit with process-limit', () => {
    const outcome = outcomes.get('fork-bomb');

    expect(outcome?.reason).toBe('process-limit');
    expect(outcome?.message).toBe(
      'The task tried to run more than its limit of 32 processes and ' +
        'threads at once (limits.processes of the task), so it was stopped.',
    );
  });

  it("caps a task's own limit at the sandbox's", () => {
    const outcome = outcomes.get('greedy-fork-bomb');

    expect(outcome?.reason).toBe('process-limit');
    expect(outcome?.message).toContain(
      `limit of ${SANDBOX_PROCESSES} processes and threads at once (the ` +
        'task asked for 100000 in limits.processes, capped by the sandbox ' +
        'setting RIVER_TASK_PROCESSES)',
    );
  });

  it('stops a task that allocates without end with memory-limit', () => {
    const outcome = outcomes.get('memory-hog');

    expect(outcome?.reason).toBe('memory-limit');
    expect(outcome?.message).toMatch(
      /^The task used more than its memory limit of 64 MB/,
    );
  });

  it('stops a task that fills its disk with many files with disk-limit', () => {
    const outcome = outcomes.get('disk-filler');

    expect(outcome?.reason).toBe('disk-limit');
    expect(outcome?.message).toMatch(
      /^The task wrote more than its disk limit of 16 MB into its workspace and \/tmp/,
    );
  });

  it('cuts one big file at the disk limit and reports disk-limit', () => {
    const outcome = outcomes.get('big-file');

    expect(outcome?.reason).toBe('disk-limit');
    expect(outcome?.stderr).toMatch(/File size limit exceeded/);
  });

  it('refuses files past the open-file limit', () => {
    const outcome = outcomes.get('file-hoarder');
    const [opened, code] = (outcome?.stdout ?? '').trim().split(' ');

    expect(code).toBe('EMFILE');
    expect(Number(opened)).toBeGreaterThan(32);
    expect(Number(opened)).toBeLessThan(64);
  });

  it('stops a task that prints past its output limit with output-limit', () => {
    const outcome = outcomes.get('chatterbox');

    expect(outcome?.reason).toBe('output-limit');
    expect(outcome?.message).toBe(
      'The task printed more than 10000 bytes, so it was stopped ' +
        '(limits.outputBytes of the task).',
    );
    expect(outcome?.stdout).toHaveLength(10_000);
  });

  it('kills a task that ignores SIGTERM past its timeout', () => {
    expect(outcomes.get('overstay')?.reason).toBe('timeout');
  });

  it('stops each of them long before its own 60 s would run out', () => {
    expect(runMs).toBeLessThan(45_000);
  });

  it('leaves no control group behind, and the sandbox serves the next run', async () => {
    const next = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);

    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(servicesAlive(stack)).toBe(true);
    const sandbox = stack.services.find(
      (service) => service.name === 'sandbox',
    );
    expect(await taskControlGroups(sandbox?.child.pid ?? 0)).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
  });
});

/**
 * Task control groups of the sandbox with pid `sandboxPid` left under
 * this process's memory and pids groups (other tests' sandboxes may have
 * theirs there too).
 */
async function taskControlGroups(sandboxPid: number): Promise<string[]> {
  const own = await readFile('/proc/self/cgroup', 'utf8');
  const left: string[] = [];
  for (const controller of ['memory', 'pids']) {
    const path = new RegExp(`^\\d+:${controller}:(.*)$`, 'm').exec(own)?.[1];
    if (path === undefined) {
      continue;
    }
    const dir = join('/sys/fs/cgroup', controller, path);
    const groups = await readdir(dir).catch(() => []);
    left.push(
      ...groups.filter((name) => name.startsWith(`river-${sandboxPid}-`)),
    );
  }
  return left;
}
