import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  river,
  runIdOf,
  servicesAlive,
  startTestStack,
} from '../helpers/river.js';

const PIPELINE = 'tests/security/tasks-isolation.pipeline.ts';
const NEIGHBOURS = 'tests/security/tasks-neighbours.pipeline.ts';
/** What the sandbox process has in its environment and no task may see. */
const CANARY = `canary-${randomBytes(6).toString('hex')}`;
/** What the test's secret files hold. */
const SECRET = `secret-${randomBytes(6).toString('hex')}`;

type Finished = Extract<RunEvent, { type: 'task.finished' }>;

/** Each job's (or named task's) last finished event in a run. */
async function finishedTasks(
  client: RiverClient,
  runId: string,
): Promise<Map<string, Finished>> {
  const finished = new Map<string, Finished>();
  for await (const event of client.watch(runId, { follow: false })) {
    if (event.type === 'task.finished') {
      finished.set(event.job, event);
      finished.set(event.taskId, event);
    }
  }
  return finished;
}

describe('hostile tasks under the bwrap runner', () => {
  let stack: LocalStack;
  let client: RiverClient;
  let server: Server;
  let hostDir: string;
  let workDir: string;
  const received: string[] = [];
  let tasks = new Map<string, Finished>();
  const marker = `44${randomBytes(2).readUInt16BE() % 1000}.7`;
  const hostFiles: string[] = [];
  const hostTargets: string[] = [];
  const tmpName = `pwned-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    hostDir = await mkdtemp(join(tmpdir(), 'river-host-'));
    workDir = await mkdtemp(join(tmpdir(), 'river-work-'));
    // A shadow-like file of the host, one in the sandbox's own work
    // directory, and the repository with the sandbox's code.
    await writeFile(join(hostDir, 'shadow'), `${SECRET}\n`, { mode: 0o600 });
    await mkdir(join(workDir, 'other-task'));
    await writeFile(join(workDir, 'other-task', 'secret.txt'), SECRET);
    hostFiles.push(
      join(hostDir, 'shadow'),
      join(workDir, 'other-task', 'secret.txt'),
      join(REPO_ROOT, 'services/sandbox/package.json'),
      '/etc/shadow',
    );
    const tag = randomBytes(4).toString('hex');
    hostTargets.push(
      join(hostDir, `pwned-${tag}`),
      join(workDir, `pwned-${tag}`),
      join(REPO_ROOT, `pwned-${tag}`),
    );

    server = createServer((socket) => {
      socket.on('data', (data) => received.push(String(data)));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = server.address() as { port: number };

    stack = await startTestStack({
      env: {
        RIVER_RUNNER: 'bwrap',
        RIVER_ALLOWED_RUNNERS: 'bwrap,docker,process',
        RIVER_WORK_DIR: workDir,
        RIVER_TEST_CANARY: CANARY,
      },
    });
    client = await RiverClient.connect({ servers: stack.natsUrl });

    const run = await river(
      [
        'run',
        PIPELINE,
        '--param',
        `hostFiles=${hostFiles.join(' ')}`,
        '--param',
        `hostTargets=${hostTargets.join(' ')}`,
        '--param',
        `tmpName=${tmpName}`,
        '--param',
        `port=${port}`,
        '--param',
        `marker=${marker}`,
      ],
      stack.natsUrl,
      180_000,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    tasks = await finishedTasks(client, runIdOf(run.stdout));
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    server?.close();
    for (const dir of [hostDir, workDir]) {
      if (dir !== undefined) {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it("cannot read the host's files, the sandbox's work directory or the repository", () => {
    const outcome = tasks.get('read-host')?.outcome;

    for (const file of hostFiles) {
      expect(outcome?.stdout).toContain(`refused ${file}\n`);
    }
    expect(outcome?.stdout).toMatch(/'\/root': No such file or directory/);
    expect(outcome?.stdout).toMatch(/'\/work': No such file or directory/);
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
  });

  it('can read them all under the process runner, which is for development only', () => {
    const outcome = tasks.get('process-runner')?.outcome;

    for (const file of hostFiles.filter((file) => file !== '/etc/shadow')) {
      expect(outcome?.stdout).toContain(`read ${file}\n`);
    }
  });

  it('cannot write outside its workspace', () => {
    const outcome = tasks.get('write-outside')?.outcome;

    expect(outcome?.stdout).toBe('wrote its /tmp\ndone\n');
    for (const target of [...hostTargets, join('/tmp', tmpName)]) {
      expect(existsSync(target), target).toBe(false);
    }
  });

  it('cannot reach a port on 127.0.0.1 without network, and can with it', () => {
    expect(tasks.get('reach-port')?.outcome.stdout).toBe('ECONNREFUSED\n');
    expect(tasks.get('reach-port-network')?.outcome.stdout).toBe('connected\n');
    expect(received).toEqual(['with-network']);
  });

  it("sees its declared environment and nothing of the sandbox's", () => {
    const stdout = tasks.get('read-env')?.outcome.stdout ?? '';
    const processes = Number(stdout.trim().split('\n').at(-1));

    expect(stdout).toMatch(/^GIVEN=yes$/m);
    expect(stdout).toMatch(/^HOME=\/workspace$/m);
    expect(stdout).not.toContain(CANARY);
    expect(stdout).not.toMatch(/NATS_URL|RIVER_|LOG_LEVEL/);
    // bwrap's reaper, the shell, and what the shell runs at that moment.
    expect(processes).toBeLessThanOrEqual(4);
  });

  it('leaves no process behind, even one in a session of its own', () => {
    expect(tasks.get('leave-behind')?.outcome.stdout).toBe('started\n');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('hands its outputs to the sandbox, which refuses links out of it', () => {
    const outcome = tasks.get('write-output')?.outcome;

    expect(outcome?.ok).toBe(true);
    expect(outcome?.files.map((file) => file.path)).toEqual(['out/who']);
  });

  it('fails with runner-unavailable when it asks for a runner the sandbox lacks', () => {
    const outcome = tasks.get('ask-docker')?.outcome;

    expect(outcome?.reason).toBe('runner-unavailable');
    expect(outcome?.message).toMatch(
      /^The task asks for the docker runner, which this sandbox cannot offer/,
    );
    expect(outcome?.stdout).toBe('');
  });

  it("cannot see another running task's workspace", async () => {
    const run = await river(
      ['run', NEIGHBOURS, '--param', `secret=${SECRET}`],
      stack.natsUrl,
    );
    const neighbours = await finishedTasks(client, runIdOf(run.stdout));
    const keeper = neighbours.get('neighbours-1');
    const peeker = neighbours.get('neighbours-2');

    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The peeker looked while the keeper ran.
    expect(peeker?.at ?? 0).toBeLessThan(keeper?.at ?? 0);
    expect(peeker?.outcome.stdout).toMatch(/^\d\nlooked\n$/);
    expect(JSON.stringify(peeker)).not.toContain(SECRET);
  });

  it('leaves the sandbox serving the next run', async () => {
    const next = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);

    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(servicesAlive(stack)).toBe(true);
  });
});

/** Host processes, not zombies, whose command line holds `text`. */
function processesWith(text: string): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => !line.startsWith('Z') && line.includes(text));
}
