import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerEngineUnavailable,
  startDockerEngine,
  type TestDockerEngine,
} from '../helpers/docker-engine.js';
import {
  river,
  runIdOf,
  servicesAlive,
  spawnRiver,
  startTestStack,
} from '../helpers/river.js';

const PIPELINE = 'tests/fixtures/docker/hostile.ts';
const NEXT_PIPELINE = 'tests/fixtures/docker/echo.ts';
const LONG_PIPELINE = 'tests/fixtures/docker/long.ts';
const HOST_SECRET = 'host-only-3c1f9e';

type Outcome = Extract<RunEvent, { type: 'task.finished' }>['outcome'];

const unavailable = dockerEngineUnavailable();

describe.skipIf(unavailable !== undefined)(
  'a sandbox whose tasks run in docker',
  () => {
    let engine: TestDockerEngine;
    let stack: LocalStack;
    let client: RiverClient;
    let server: Server;
    let hostDir: string;
    /** What the test's port on 127.0.0.1 received. */
    const received: string[] = [];
    /** Each job's task outcome in the hostile run. */
    const outcomes = new Map<string, Outcome>();

    beforeAll(async () => {
      engine = await startDockerEngine();
      hostDir = await mkdtemp(join(tmpdir(), 'river-docker-host-'));
      await writeFile(join(hostDir, 'secret.txt'), `${HOST_SECRET}\n`);
      server = createServer((socket) => {
        socket.on('data', (data) => received.push(String(data)));
      });
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve),
      );
      const { port } = server.address() as { port: number };

      stack = await startTestStack({
        env: {
          RIVER_RUNNER: 'docker',
          RIVER_ALLOWED_RUNNERS: 'docker',
          RIVER_DOCKER_HOST: engine.host,
        },
      });
      client = await RiverClient.connect({ servers: stack.natsUrl });

      const run = await river(
        [
          'run',
          PIPELINE,
          '--param',
          `port=${port}`,
          '--param',
          `hostFile=${join(hostDir, 'secret.txt')}`,
        ],
        stack.natsUrl,
        240_000,
      );
      expect(run.code, run.stdout + run.stderr).toBe(0);
      for await (const event of client.watch(runIdOf(run.stdout), {
        follow: false,
      })) {
        if (event.type === 'task.finished') {
          outcomes.set(event.job, event.outcome);
        }
      }
    }, 300_000);

    afterAll(async () => {
      await client?.close();
      await stack?.stop();
      server?.close();
      await engine?.stop();
      if (hostDir !== undefined) {
        await rm(hostDir, { recursive: true, force: true });
      }
    });

    it('cannot read a file of the host outside its workspace', () => {
      const outcome = outcomes.get('read-host');

      expect(outcome?.stdout).toBe('refused\n');
      expect(outcome?.stderr).toMatch(/No such file or directory/);
      expect(JSON.stringify(outcome)).not.toContain(HOST_SECRET);
    });

    it('cannot write outside its workspace', () => {
      expect(outcomes.get('write-outside')?.stdout).toBe('done\n');
    });

    it('cannot reach a port the test opened on 127.0.0.1', () => {
      expect(outcomes.get('reach-port')?.ok).toBe(false);
      expect(received).toEqual([]);
    });

    it("sees its declared environment and none of the sandbox's", () => {
      const stdout = outcomes.get('read-env')?.stdout ?? '';

      expect(stdout).toMatch(/^GIVEN=yes$/m);
      expect(stdout).toMatch(/^HOME=\/workspace$/m);
      expect(stdout).not.toMatch(/NATS_URL|RIVER_|LOG_LEVEL/);
    });

    it('is stopped for a fork bomb with reason process-limit', () => {
      const outcome = outcomes.get('fork-bomb');

      expect(outcome?.reason).toBe('process-limit');
      expect(outcome?.message).toMatch(/limit of 64 processes/);
    });

    it('is stopped for using more memory than allowed with reason memory-limit', () => {
      const outcome = outcomes.get('memory-hog');

      expect(outcome?.reason).toBe('memory-limit');
      expect(outcome?.message).toMatch(/memory limit of 32 MB/);
    });

    it('is stopped for filling its disk with reason disk-limit', () => {
      expect(outcomes.get('disk-fill')?.reason).toBe('disk-limit');
    });

    it('leaves no process behind that it started in a new session', () => {
      expect(outcomes.get('leave-behind')?.ok).toBe(true);
      expect(sleepersLeft()).toEqual([]);
    });

    it('is killed past its timeout', () => {
      expect(outcomes.get('overstay')?.reason).toBe('timeout');
      expect(sleepersLeft()).toEqual([]);
    });

    it('fails clearly when it names no image', () => {
      const outcome = outcomes.get('no-image');

      expect(outcome?.ok).toBe(false);
      expect(outcome?.message).toMatch(/docker runner needs an image/);
    });

    it('leaves files the sandbox collects as outputs, and removes', () => {
      const outcome = outcomes.get('write-output');

      expect(outcome?.ok).toBe(true);
      expect(outcome?.files.map((file) => file.path)).toEqual(['out/who']);
    });

    it('leaves no container behind, and the sandbox serves the next run', async () => {
      expect(await engine.containers()).toEqual([]);

      const next = await river(['run', NEXT_PIPELINE], stack.natsUrl);

      expect(next.code, next.stdout + next.stderr).toBe(0);
      expect(next.stdout).toMatch(/still serving/);
      expect(await engine.containers()).toEqual([]);
      expect(servicesAlive(stack)).toBe(true);
    });
  },
);

describe.skipIf(unavailable !== undefined)(
  'a sandbox stopped while a container runs',
  () => {
    let engine: TestDockerEngine;

    beforeAll(async () => {
      engine = await startDockerEngine();
    }, 120_000);

    afterAll(async () => {
      await engine?.stop();
    });

    /** Starts a stack, a long docker task on it, and stops the stack. */
    async function stopWhileRunning(env: NodeJS.ProcessEnv): Promise<void> {
      const stack = await startTestStack({
        env: { RIVER_RUNNER: 'docker', RIVER_DOCKER_HOST: engine.host, ...env },
      });
      const run = spawnRiver(['run', LONG_PIPELINE], stack.natsUrl);
      try {
        await run.runId;
        const deadline = Date.now() + 60_000;
        while (
          !(await engine.containers()).some((c) => c.State === 'running')
        ) {
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await stack.stop();
        // It would wait for its River to come back.
        run.kill();
      }
    }

    it('has it stopped and removed when the drain hands the task back', async () => {
      await stopWhileRunning({ RIVER_DRAIN_GRACE_MS: '0' });

      expect(await engine.containers()).toEqual([]);
      expect(sleepersLeft()).toEqual([]);
    });

    it('has it removed when the sandbox exits at once', async () => {
      // The stack's second SIGTERM, 3 s on, comes before this grace is over.
      await stopWhileRunning({ RIVER_DRAIN_GRACE_MS: '60000' });

      expect(await engine.containers()).toEqual([]);
      expect(sleepersLeft()).toEqual([]);
    });
  },
);

/** Sleepers the hostile tasks started that are still alive on the host. */
function sleepersLeft(): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[^Z]\S*\s+sleep 33[123]$/.test(line));
}
