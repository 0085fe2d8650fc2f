import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type BackgroundRiver, river, spawnRiver } from '../helpers/river.js';

/** The process ids and command lines of a process's children. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  let listed = '';
  try {
    listed = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], {
      encoding: 'utf8',
    });
  } catch {
    // ps exits with 1 when there is no such process.
  }
  return listed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, id, args] = /^\s*(\d+)\s+(.*)$/.exec(line) ?? [];
      return { pid: Number(id), args: args ?? '' };
    });
}

function serviceOf(dev: BackgroundRiver, name: string): number | undefined {
  return childrenOf(dev.pid).find((child) =>
    child.args.includes(`services/${name}/dist/bin.js`),
  )?.pid;
}

describe('river dev', () => {
  let dev: BackgroundRiver | undefined;
  let logDir: string | undefined;

  afterEach(async () => {
    dev?.kill();
    if (logDir !== undefined) {
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it('restarts a killed service, serves the web UI, stops all on Ctrl-C', async () => {
    dev = spawnRiver(['dev'], undefined);
    const started = dev;
    await expect
      .poll(started.output, { timeout: 60_000, interval: 200 })
      .toMatch(/Press Ctrl-C to stop/);
    const natsUrl = /export NATS_URL=(\S+)/.exec(started.output())?.[1];
    logDir = /service logs: (\S+)/.exec(started.output())?.[1];
    expect(natsUrl).toBeDefined();
    const scheduler = serviceOf(started, 'scheduler');
    expect(scheduler).toBeDefined();

    process.kill(scheduler as number, 'SIGKILL');

    await expect
      .poll(started.errors, { timeout: 30_000, interval: 200 })
      .toMatch(/the scheduler is running again/);
    expect(started.errors()).toMatch(
      /river dev: the scheduler exited on SIGKILL; starting it again\. Its log: \S+scheduler\.log/,
    );
    const again = serviceOf(started, 'scheduler');
    expect(again).toBeDefined();
    expect(again).not.toBe(scheduler);
    const run = await river(['run', 'tests/fixtures/hello.ts'], natsUrl);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // The printed link serves the UI, and its token is an operator's.
    const [, uiUrl, token] =
      /web UI: (http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/.exec(
        started.output(),
      ) ?? [];
    expect(uiUrl, started.output()).toBeDefined();
    const page = await fetch(uiUrl as string);
    expect(await page.text()).toMatch(/<div id="app">/);
    const session = await fetch(new URL('api/session', uiUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(await session.json()).toEqual({ role: 'operator' });
    const runs = await fetch(new URL('api/runs', uiUrl), {
      headers: { Authorization: `Bearer ${token}` },
    });
    const { runs: listed } = (await runs.json()) as {
      runs: { project: string; status: string }[];
    };
    expect(listed).toContainEqual(
      expect.objectContaining({ project: 'hello', status: 'succeeded' }),
    );

    const services = childrenOf(started.pid).map((child) => child.pid);
    started.interrupt();
    expect(await started.exited).toBe(0);
    expect(started.output()).toMatch(/Stopped\.\n$/);
    // One exit reported: the services stopped by Ctrl-C are not crashes.
    expect(started.errors().match(/exited/g)).toHaveLength(1);
    for (const pid of services) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  });
});
