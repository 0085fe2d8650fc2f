import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogStream } from '@river/protocol';
import { createServiceLogger, delay } from '@river/protocol/internal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerEngineUnavailable,
  startDockerEngine,
  TEST_IMAGE,
  type TestDockerEngine,
} from '../../../../tests/helpers/docker-engine.js';
import type { OutputSink } from '../runner.js';
import { UNPRIVILEGED_ID } from './docker-container.js';
import { removeLiveContainersSync } from './docker-leftovers.js';
import { DockerRunner } from './docker-runner.js';
import type { RunnerEnd, RunnerRequest } from './task-runner.js';

const unavailable = dockerEngineUnavailable();

let engine: TestDockerEngine;
let runner: DockerRunner;
const workspaces: string[] = [];

/** Output a run printed, by stream, and a sink to collect it. */
interface Captured {
  sink: OutputSink;
  text(stream: LogStream): string;
}

function capture(options: { slow?: boolean } = {}): Captured {
  const parts: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  let held = 0;
  return {
    sink: {
      write(stream, data) {
        parts[stream].push(Buffer.from(data));
        held += data.length;
        // A slow sink asks for a pause after every 64 KiB.
        return !options.slow || held < 64 * 1024;
      },
      async drained() {
        await delay(5);
        held = 0;
      },
    },
    text: (stream) => Buffer.concat(parts[stream]).toString(),
  };
}

async function newWorkspace(): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), 'river-docker-ws-'));
  workspaces.push(workspace);
  return workspace;
}

async function run(
  fields: Partial<RunnerRequest>,
  output: Captured = capture(),
): Promise<RunnerEnd> {
  const workspace = fields.workspace ?? (await newWorkspace());
  return runner.run(
    {
      attemptKey: `run-${randomUUID().slice(0, 8)}.task-1.1`,
      command: 'true',
      workspace,
      cwd: '',
      env: { PATH: '/bin', HOME: workspace },
      timeoutMs: 30_000,
      network: false,
      limits: {},
      image: TEST_IMAGE,
      ...fields,
    },
    output.sink,
  );
}

function exited(end: RunnerEnd): number | null {
  return end.kind === 'ended' ? end.exitCode : null;
}

describe.skipIf(unavailable !== undefined)('docker runner', () => {
  beforeAll(async () => {
    engine = await startDockerEngine();
    runner = new DockerRunner({
      host: engine.host,
      log: createServiceLogger('sandbox', 'silent'),
    });
  }, 120_000);

  afterEach(async () => {
    // Every container is removed, however its attempt ended.
    expect(await engine.containers()).toEqual([]);
  });

  afterAll(async () => {
    await engine?.stop();
    for (const workspace of workspaces) {
      await rm(workspace, { recursive: true, force: true });
    }
  });

  describe('the docker runner', () => {
    it('runs a shell line in the image with stdout and stderr apart', async () => {
      const output = capture();
      const end = await run(
        { command: 'echo out; echo err >&2; pwd; exit 3', cwd: 'sub/dir' },
        output,
      );

      expect(end).toMatchObject({ kind: 'ended', exitCode: 3, signal: null });
      expect(output.text('stdout')).toBe('out\n/workspace/sub/dir\n');
      expect(output.text('stderr')).toBe('err\n');
    });

    it('reports a task killed by a signal with the signal, not 128 + n', async () => {
      const end = await run({ command: 'sleep 10 & kill -KILL $!; wait $!' });

      expect(end).toMatchObject({
        kind: 'ended',
        exitCode: null,
        signal: 'SIGKILL',
      });
    });

    it("runs with the image's PATH unless the task declares its own", async () => {
      const output = capture();
      const end = await run(
        { command: 'echo $PATH', env: { PATH: process.env.PATH ?? '' } },
        output,
      );

      expect(exited(end)).toBe(0);
      // The engine's default for an image that sets no PATH.
      expect(output.text('stdout')).toBe(
        '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
      );
    });

    it('fails clearly when the task names no image', async () => {
      const end = await runner.run(
        {
          attemptKey: 'run-x.task-1.1',
          command: 'true',
          workspace: await newWorkspace(),
          cwd: '',
          env: {},
          timeoutMs: 1_000,
          network: false,
          limits: {},
        },
        capture().sink,
      );

      expect(end.kind).toBe('spawn-error');
      expect(end.kind === 'spawn-error' && end.error.message).toMatch(
        /docker runner needs an image/,
      );
    });

    it('names an image the engine does not have', async () => {
      const end = await run({ image: 'river-test/absent:1' });

      expect(end.kind === 'spawn-error' && end.error.message).toMatch(
        /Image "river-test\/absent:1" is not on the Docker engine/,
      );
    });

    it('reports a program that is not in the image as not found', async () => {
      const end = await run({ command: ['no-such-program', '--help'] });

      expect(end.kind === 'spawn-error' && end.error.code).toBe('ENOENT');
    });

    it('writes the workspace as a user the sandbox can collect from and remove', async () => {
      const workspace = await newWorkspace();
      const output = capture();
      const end = await run(
        { workspace, command: 'id -u; mkdir -p a/b && echo x > a/b/f' },
        output,
      );
      const file = await stat(join(workspace, 'a/b/f'));

      expect(exited(end)).toBe(0);
      const expected =
        process.getuid?.() === 0 ? UNPRIVILEGED_ID : process.getuid?.();
      expect(output.text('stdout')).toBe(`${expected}\n`);
      expect(file.uid).toBe(expected);
      expect(await readFile(join(workspace, 'a/b/f'), 'utf8')).toBe('x\n');
      await rm(join(workspace, 'a'), { recursive: true });
    });

    it('keeps up with a task printing faster than the sink takes', async () => {
      const output = capture({ slow: true });
      const end = await run(
        { command: 'seq 1 200000; seq 1 1000 >&2' },
        output,
      );

      expect(exited(end)).toBe(0);
      const lines = output.text('stdout').trimEnd().split('\n');
      expect(lines).toHaveLength(200_000);
      expect(lines.at(-1)).toBe('200000');
      expect(output.text('stderr').split('\n')).toHaveLength(1_001);
    });
  });

  describe('a hostile task in the docker runner', () => {
    let server: Server;
    let port: number;
    let received: string[];
    let secretDir: string;

    beforeAll(async () => {
      received = [];
      server = createServer((socket) => {
        socket.on('data', (data) => received.push(String(data)));
      });
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve),
      );
      port = (server.address() as { port: number }).port;
      secretDir = await mkdtemp(join(tmpdir(), 'river-docker-secret-'));
      await writeFile(join(secretDir, 'secret.txt'), 'host secret\n');
    }, 120_000);

    afterAll(async () => {
      server?.close();
      await rm(secretDir, { recursive: true, force: true });
    });

    it('cannot read a file of the host outside its workspace, nor reach the engine', async () => {
      const output = capture();
      const path = join(secretDir, 'secret.txt');
      const sockets = `/var/run/docker.sock ${engine.dir}/docker.sock`;
      const end = await run(
        {
          command:
            `cat ${path} /proc/1/root${path} || echo refused; ` +
            `ls ${sockets} 2>/dev/null || echo no engine`,
        },
        output,
      );

      expect(exited(end)).toBe(0);
      expect(output.text('stdout')).toBe('refused\nno engine\n');
      expect(output.text('stdout')).not.toMatch(/host secret/);
    });

    it('cannot write outside its workspace except to a private /tmp', async () => {
      const output = capture();
      const end = await run(
        {
          command:
            'for f in /x /etc/x /bin/x /workspace/../x; do ' +
            'echo > $f 2>/dev/null && echo wrote $f; done; ' +
            'echo y > /tmp/y && echo tmp ok',
        },
        output,
      );
      const leftover = await run({ command: 'ls /tmp' }, output);

      expect(exited(end)).toBe(0);
      expect(exited(leftover)).toBe(0);
      expect(output.text('stdout')).toBe('tmp ok\n');
    });

    it('cannot reach a port on 127.0.0.1 without network, and can with it', async () => {
      const output = capture();
      const command = `echo knock | nc -w 2 127.0.0.1 ${port} && echo sent`;
      const cut = await run({ command }, output);
      await delay(200);

      expect(exited(cut)).not.toBe(0);
      expect(received).toEqual([]);

      const open = await run({ command, network: true }, output);
      await delay(200);

      expect(exited(open)).toBe(0);
      expect(received.join('')).toBe('knock\n');
    });

    it("sees only the environment it was given, not the sandbox's", async () => {
      process.env.RIVER_SANDBOX_ONLY = 'sandbox secret';
      const output = capture();
      const workspace = await newWorkspace();
      const end = await run(
        {
          workspace,
          command: 'env | sort',
          env: { PATH: '/bin', HOME: workspace, GIVEN: 'yes' },
        },
        output,
      );
      delete process.env.RIVER_SANDBOX_ONLY;

      expect(exited(end)).toBe(0);
      const names = output
        .text('stdout')
        .trim()
        .split('\n')
        .map((line) => line.split('=')[0]);
      // HOSTNAME is the engine's own, PWD and SHLVL the shell's.
      expect(names).toEqual([
        'GIVEN',
        'HOME',
        'HOSTNAME',
        'PATH',
        'PWD',
        'SHLVL',
      ]);
      expect(output.text('stdout')).toMatch(/^HOME=\/workspace$/m);
      expect(output.text('stdout')).not.toMatch(/sandbox secret/);
    });

    it('has no capabilities and cannot gain privileges', async () => {
      const output = capture();
      const end = await run(
        { command: 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status' },
        output,
      );

      expect(exited(end)).toBe(0);
      expect(output.text('stdout')).toBe(
        'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n' +
          'NoNewPrivs:\t1\n',
      );
    });

    it('is stopped for a fork bomb with reason process-limit', async () => {
      const started = Date.now();
      const end = await run({
        command: 'bomb() { bomb | bomb & }; bomb; sleep 60',
        limits: { processes: 64 },
      });

      expect(end).toMatchObject({ kind: 'ended', limit: 'process-limit' });
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it('is stopped for using more than its memory with reason memory-limit', async () => {
      const end = await run({
        command: 'head -c 200000000 /dev/zero | tail > /dev/null',
        limits: { memoryMb: 32 },
      });

      expect(end).toMatchObject({ kind: 'ended', limit: 'memory-limit' });
    });

    it('is stopped for filling its workspace past its disk limit', async () => {
      const end = await run({
        command: 'dd if=/dev/zero of=big bs=1M count=20; sleep 30',
        limits: { diskMb: 8 },
      });

      expect(end).toMatchObject({ kind: 'ended', limit: 'disk-limit' });
    });

    it('is stopped for filling /tmp past its disk limit', async () => {
      const output = capture();
      const end = await run(
        {
          command: 'dd if=/dev/zero of=/tmp/big bs=1M count=20; sleep 30',
          limits: { diskMb: 8 },
        },
        output,
      );

      expect(end).toMatchObject({ kind: 'ended', limit: 'disk-limit' });
      expect(output.text('stderr')).toMatch(/No space left on device/);
    });

    it('is limited in the files it may open', async () => {
      const output = capture();
      const end = await run(
        { command: 'ulimit -n', limits: { openFiles: 64 } },
        output,
      );

      expect(exited(end)).toBe(0);
      expect(output.text('stdout')).toBe('64\n');
    });

    it('is killed with whatever it started past its timeout', async () => {
      const started = Date.now();
      const end = await run({
        command: 'setsid sleep 317 & sleep 318',
        timeoutMs: 1_000,
      });

      expect(end).toMatchObject({ kind: 'ended', timedOut: true });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(sleepersLeft()).toEqual([]);
    });

    it('leaves nothing running that it started in a new session', async () => {
      const end = await run({ command: 'setsid sleep 319 & echo started' });

      expect(exited(end)).toBe(0);
      expect(sleepersLeft()).toEqual([]);
    });

    it('is stopped and removed when its attempt is cancelled', async () => {
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(), 1_000);
      const end = await run({ command: 'sleep 320', signal: cancel.signal });

      expect(end).toMatchObject({ kind: 'ended', cancelled: true });
      expect(sleepersLeft()).toEqual([]);
    });

    it('is removed by an exiting sandbox, which cannot wait for a stop', async () => {
      const running = run({ command: 'sleep 321' });
      while (!(await engine.containers()).some((c) => c.State === 'running')) {
        await delay(50);
      }

      removeLiveContainersSync();

      expect(await engine.containers()).toEqual([]);
      expect(sleepersLeft()).toEqual([]);
      expect(await running).toMatchObject({ kind: 'ended' });
    });
  });
});

/** Sleepers the tests above started that are still alive on the host. */
function sleepersLeft(): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[^Z]\S*\s+sleep 3(1[7-9]|2[01])$/.test(line));
}
