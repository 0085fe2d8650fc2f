import { execFileSync } from 'node:child_process';
import type { LocalStack } from '@river/cli';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { river, spawnRiver, startTestStack } from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** Processes whose command line matches, from `ps`. */
function processes(pattern: RegExp): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => pattern.test(line.trim()));
}

/** The cancel fixture's sleeps (and their shells), each test's own. */
function probes(): string[] {
  return processes(/sleep 31[12]/);
}

describe('river cancel', () => {
  it('kills running tasks, skips the rest, runs finally blocks and ends the run as cancelled', async () => {
    const run = spawnRiver(['run', 'tests/fixtures/cancel.ts'], stack.natsUrl);
    const runId = await run.runId;
    const client = await RiverClient.connect({ servers: stack.natsUrl });
    for await (const event of client.watch(runId)) {
      if (event.type === 'task.started' && event.taskId === 'long-1') {
        break;
      }
    }
    await client.close();
    // The event comes before the process starts; let it start.
    await vi.waitFor(() => expect(probes().length).toBeGreaterThan(0));

    const cancel = await river(
      ['cancel', runId, '--reason', 'test'],
      stack.natsUrl,
    );
    const code = await run.exited;
    const output = run.output();

    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/ended: cancelled/);
    expect(code).toBe(1);
    expect(output).toMatch(/long: finally ran/);
    expect(output).toMatch(/long-1 cancelled with its run/);
    expect(output).toMatch(/- after skipped .*the run was cancelled/);
    expect(output).toMatch(/run cancelled in .*: test/);
    // Give the sandbox a moment to reap what it killed.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(probes()).toEqual([]);
  });
});

describe('a failed fork', () => {
  it('kills the tasks of its sibling branches', async () => {
    const result = await river(
      ['run', 'tests/fixtures/fork-fail-fast.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/fork failed: Task race-1 .*exit code 9/);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(processes(/sleep 313/)).toEqual([]);
  });
});

describe('a job that times out', () => {
  it('has its running tasks killed', async () => {
    const result = await river(
      ['run', 'tests/fixtures/job-timeout-tasks.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/exceeded its timeout of 1000 ms/);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(processes(/sleep 314/)).toEqual([]);
  });
});

describe('river cancel on a run that cannot be cancelled', () => {
  it('says that an unknown run does not exist', async () => {
    const result = await river(
      ['cancel', 'run-aaaaaaaa-bbbbbbbb'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has no events on this server/);
  });

  it('says that a finished run had already finished', async () => {
    const run = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);
    const runId = /run (run-[a-z0-9-]+) submitted/.exec(run.stdout)?.[1] ?? '';

    const result = await river(['cancel', runId], stack.natsUrl);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/had already finished: succeeded/);
  });
});
