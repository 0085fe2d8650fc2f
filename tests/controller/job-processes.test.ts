import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JobProcesses } from '../../services/controller/dist/job-processes.js';

const LIMITS = {
  memoryLimitMb: 256,
  cpuLimitMs: 60_000,
  sandbox: 'process',
} as const;

const taken: ChildProcess[] = [];
let pool: JobProcesses | undefined;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function alive(child: ChildProcess): boolean {
  return (
    child.pid !== undefined &&
    child.exitCode === null &&
    child.signalCode === null
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(async () => {
  pool?.close();
  for (const child of taken.splice(0)) {
    child.kill('SIGKILL');
    await exited(child);
  }
});

describe('JobProcesses', () => {
  it('hands out the spare started ahead, then starts the next', async () => {
    pool = new JobProcesses(LIMITS);
    const spare = pool.sparePid;
    expect(spare).toBeDefined();
    const first = pool.take();
    taken.push(first);
    expect(first.pid).toBe(spare);
    expect(alive(first)).toBe(true);
    await nextTurn();
    expect(pool.sparePid).toBeDefined();
    expect(pool.sparePid).not.toBe(first.pid);
  });

  it('starts a new process when the spare died before a run took it', async () => {
    pool = new JobProcesses(LIMITS);
    const spare = pool.sparePid as number;
    process.kill(spare, 'SIGKILL');
    while (pidAlive(spare)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const child = pool.take();
    taken.push(child);
    expect(child.pid).not.toBe(spare);
    expect(alive(child)).toBe(true);
  });

  it('ends its spare when closed', async () => {
    pool = new JobProcesses(LIMITS);
    const spare = pool.sparePid as number;
    pool.close();
    expect(pool.sparePid).toBeUndefined();
    for (let tries = 0; pidAlive(spare) && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pidAlive(spare)).toBe(false);
  });

  it('lets a process end by itself once its stdin closes', async () => {
    pool = new JobProcesses(LIMITS);
    const child = pool.take();
    taken.push(child);
    child.stdin?.end();
    await exited(child);
    expect(child.exitCode).toBe(0);
  });
});
