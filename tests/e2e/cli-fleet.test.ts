import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REPO_ROOT,
  river,
  startTestStack,
  TEST_SERVICE_ENV,
} from '../helpers/river.js';

const CLI = fileURLToPath(
  new URL('../../packages/cli/dist/main.js', import.meta.url),
);

let stack: LocalStack;
let workDir: string;
let sandbox: ChildProcess | undefined;
let sandboxOutput = '';

beforeAll(async () => {
  stack = await startTestStack();
  workDir = await mkdtemp(join(tmpdir(), 'river-cli-fleet-'));
}, 60_000);

afterAll(async () => {
  sandbox?.kill('SIGKILL');
  await stack?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/**
 * `river sandbox` with the test's own rights (a connection without
 * credentials is the admin here), so that it may read any queue.
 */
function startCliSandbox(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'sandbox', ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      ...TEST_SERVICE_ENV,
      NATS_URL: stack.natsUrl,
      RIVER_WORK_DIR: workDir,
      RIVER_SANDBOX_ID: 'cli-sandbox',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (data: Buffer) => {
    sandboxOutput += data.toString();
  });
  return child;
}

describe('river sandbox and river status', () => {
  it('refuses a label that is not a word, naming the option', async () => {
    const result = await river(
      ['sandbox', '--labels', 'gcc,x.y'],
      stack.natsUrl,
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--labels takes comma-separated labels');
    expect(result.stderr).toContain("'x.y' is not one");
  });

  it('runs a sandbox offering labels that takes their tasks and shows in status', async () => {
    sandbox = startCliSandbox(['--labels', 'gcc', '--slots', '2']);
    await vi.waitFor(() => expect(sandboxOutput).toContain('Sandbox started'), {
      timeout: 30_000,
      interval: 100,
    });

    const run = await river(
      [
        'run',
        'tests/fixtures/fleet-load.ts',
        '--param',
        'labels=gcc',
        '--param',
        'tasks=3',
        '--priority',
        '-5',
        '--quiet',
      ],
      stack.natsUrl,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);

    // The dispatcher writes each pool's summary about every second.
    let status = await river(['status'], stack.natsUrl);
    await vi.waitFor(
      async () => {
        status = await river(['status'], stack.natsUrl);
        expect(status.stdout).toMatch(/queue gcc: [^\n]*, 0 dispatched/);
      },
      { timeout: 10_000, interval: 500 },
    );
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/pool default: 0 waiting/);
    expect(status.stdout).toMatch(/queue gcc: 1 sandbox, \d\/2 slots in use/);
    expect(status.stdout).toMatch(
      /cli-sandbox {2}pool default {2}gcc {2}\d\/2 busy/,
    );
    const json = JSON.parse(
      (await river(['status', '--json'], stack.natsUrl)).stdout,
    ) as { sandboxes: { sandboxId: string; labels: string[] }[] };
    expect(json.sandboxes).toContainEqual(
      expect.objectContaining({ sandboxId: 'cli-sandbox', labels: ['gcc'] }),
    );
  }, 120_000);

  it('drains and leaves the status on SIGTERM', async () => {
    const exited = new Promise((resolve) => sandbox?.once('exit', resolve));
    sandbox?.kill('SIGTERM');
    expect(await exited).toBe(0);
    sandbox = undefined;

    const status = await river(['status'], stack.natsUrl);
    expect(status.stdout).not.toContain('cli-sandbox');
  }, 60_000);
});
