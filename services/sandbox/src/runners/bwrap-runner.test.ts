import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceLogger } from '@river/protocol/internal';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutputSink } from '../runner.js';
import { createWorkspace, removeWorkspace } from '../workspace.js';
import { setUpBwrap } from './bwrap-setup.js';
import { parseProcCgroup } from './cgroup-files.js';
import type {
  ResolvedLimits,
  RunnerEnd,
  RunnerRequest,
} from './task-runner.js';

const log = createServiceLogger(
  'sandbox',
  process.env.TEST_LOG_LEVEL ?? 'silent',
);
const workDir = await mkdtemp(join(tmpdir(), 'river-bwrap-test-'));
// Nested in another sandbox (River checking itself), bwrap cannot run.
const setup = await setUpBwrap({ workDir, readOnlyPaths: [], log });
const runner = 'runner' in setup ? setup.runner : undefined;

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** What one run printed and how it ended. */
interface Ran {
  end: RunnerEnd;
  stdout: string;
  stderr: string;
}

const LIMITS: ResolvedLimits = {
  memoryMb: 256,
  processes: 64,
  openFiles: 256,
  diskMb: 64,
};

async function run(
  command: RunnerRequest['command'],
  options: Partial<RunnerRequest> = {},
): Promise<Ran> {
  if (runner === undefined) {
    throw new Error('bwrap does not work here.');
  }
  const workspace = await createWorkspace(workDir, 'test');
  const printed = { stdout: '', stderr: '' };
  const sink: OutputSink = {
    write(stream, data) {
      printed[stream] += data.toString();
      return true;
    },
    drained: () => Promise.resolve(),
  };
  try {
    const end = await runner.run(
      {
        attemptKey: 'run-test.task-1.1',
        command,
        workspace: workspace.root,
        cwd: '',
        env: { PATH: '/usr/bin:/bin', HOME: workspace.root },
        timeoutMs: 20_000,
        network: false,
        limits: LIMITS,
        ...options,
      },
      sink,
    );
    return { end, ...printed };
  } finally {
    await removeWorkspace(workspace.root);
  }
}

describe.runIf(runner !== undefined)('the bwrap runner', () => {
  it('runs a task unprivileged in /workspace, with its environment only', async () => {
    const ran = await run('id -u; pwd; echo "$HOME"; env | sort', {
      env: { PATH: '/usr/bin:/bin', GREETING: 'hi' },
    });

    const [uid, pwd, home, ...env] = ran.stdout.trim().split('\n');
    expect(ran.end).toMatchObject({ kind: 'ended', exitCode: 0 });
    expect(uid).not.toBe('0');
    expect(pwd).toBe('/workspace');
    expect(home).toBe('');
    expect(env).toEqual([
      'GREETING=hi',
      'PATH=/usr/bin:/bin',
      'PWD=/workspace',
    ]);
  });

  it('shows host paths into the workspace where the task sees it', async () => {
    const ran = await run('echo "$HOME $TMPDIR"; test -w /tmp && echo ok');

    expect(ran.stdout).toBe('/workspace \nok\n');
  });

  it('keeps the system read-only and hides the rest of the host', async () => {
    const secret = join(workDir, 'outside.txt');
    await writeFile(secret, 'outside');

    const ran = await run(
      `cat ${secret}; ls /root /work /home; touch /usr/x /x /etc/x; ` +
        'ls /etc | grep -c shadow; test -e /etc/ssl && echo ssl',
    );

    expect(ran.stdout).toBe('0\nssl\n');
    expect(ran.stderr).toContain(`${secret}: No such file or directory`);
    expect(ran.stderr).toContain("'/root': No such file or directory");
    expect(ran.stderr).toMatch(
      /\/usr\/x'?: (Read-only file system|Permission denied)/,
    );
    expect(ran.stderr).toMatch(/\/x'?: Read-only file system/);
  });

  it('ends a process that started a session of its own with the task', async () => {
    const marker = `${Date.now() % 100_000}.37`;

    const ran = await run(`setsid sleep ${marker} & echo started`);

    expect(ran.stdout).toBe('started\n');
    const left = await processesWith(`sleep ${marker}`);
    expect(left).toEqual([]);
  });

  it('reports a program that is missing or not executable like a spawn failure', async () => {
    const missing = await run(['no-such-program-4711', 'x']);
    const notExecutable = await run(['/etc/passwd']);

    expect(missing.end).toMatchObject({ kind: 'spawn-error' });
    expect(missing.end.kind === 'spawn-error' && missing.end.error.code).toBe(
      'ENOENT',
    );
    expect(
      notExecutable.end.kind === 'spawn-error' && notExecutable.end.error.code,
    ).toBe('EACCES');
  });

  it('reports a task killed by a signal with the signal, not 128 + n', async () => {
    const ran = await run('kill -KILL $$');

    expect(ran.end).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('gives a timed-out task SIGTERM first, then ends it', async () => {
    const ran = await run("trap 'echo term; exit 3' TERM; sleep 30 & wait", {
      timeoutMs: 500,
    });

    expect(ran.end).toMatchObject({ timedOut: true, exitCode: 3 });
    expect(ran.stdout).toBe('term\n');
  });

  it('stops a task over its memory limit with memory-limit', async () => {
    const ran = await run(
      'node -e "const a=[]; for (;;) a.push(Buffer.alloc(1 << 20, 1))"',
      { limits: { ...LIMITS, memoryMb: 64 } },
    );

    expect(ran.end).toMatchObject({ limit: 'memory-limit' });
  });

  it('stops a fork bomb at its process limit with process-limit', async () => {
    const ran = await run('f() { f | f & }; f; sleep 20', {
      limits: { ...LIMITS, processes: 20 },
    });

    expect(ran.end).toMatchObject({ limit: 'process-limit', timedOut: false });
  });

  it('lets a task run exactly as many processes as its limit', async () => {
    const ran = await run('sleep 0.3 & sleep 0.3 & sleep 0.3 & wait', {
      limits: { ...LIMITS, processes: 4 },
    });

    expect(ran.end).toMatchObject({ exitCode: 0 });
    expect(ran.end).not.toHaveProperty('limit');
  });

  it('stops a task that fills its disk, in one file or many, with disk-limit', async () => {
    const one = await run('head -c 20000000 /dev/zero > big; echo $?', {
      limits: { ...LIMITS, diskMb: 8 },
    });
    const many = await run(
      'for i in 1 2 3 4; do head -c 4000000 /dev/zero > /tmp/f$i; done; ' +
        'sleep 10',
      { limits: { ...LIMITS, diskMb: 8 } },
    );

    expect(one.end).toMatchObject({ limit: 'disk-limit' });
    expect(one.stdout).toBe('153\n');
    expect(many.end).toMatchObject({ limit: 'disk-limit', timedOut: false });
  });

  it('stops a task that creates more files than its limit with disk-limit', async () => {
    const ran = await run(
      'mkdir d; i=0; while [ $i -lt 400 ]; do : > d/f$i; i=$((i+1)); ' +
        'done; sleep 10',
      { limits: { ...LIMITS, files: 100 } },
    );

    expect(ran.end).toMatchObject({ limit: 'file-limit', timedOut: false });
  });

  it('passes no file descriptor the sandbox inherited to the task', async () => {
    // A sandbox started from a shell holding fds 7 and 251 open, as the
    // built runner (tests run after the build).
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const script = `
      import { createServiceLogger } from '@river/protocol/internal';
      import { setUpBwrap } from '${dist}runners/bwrap-setup.js';
      import { createWorkspace, removeWorkspace } from '${dist}workspace.js';
      const log = createServiceLogger('sandbox', 'silent');
      const workDir = process.argv[1];
      const setup = await setUpBwrap({ workDir, readOnlyPaths: [], log });
      const workspace = await createWorkspace(workDir, 'fds');
      let out = '';
      const end = await setup.runner.run({
        attemptKey: 'run-fds.task-1.1', command: 'ls /proc/self/fd',
        workspace: workspace.root, cwd: '', env: { PATH: '/usr/bin:/bin' },
        timeoutMs: 20000, network: false, limits: {},
      }, { write: (_, data) => { out += data; return true; },
           drained: () => Promise.resolve() });
      await removeWorkspace(workspace.root);
      process.stdout.write(JSON.stringify({ end, out }));
    `;
    const child = spawn(
      'bash',
      [
        '-c',
        'exec 7</etc/hostname 251</etc/hostname; ls /proc/$$/fd >&2; ' +
          'exec node --input-type=module -e "$0" "$1"',
        script,
        workDir,
      ],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)) },
    );
    let printed = '';
    let errors = '';
    child.stdout.on('data', (data) => {
      printed += data;
    });
    child.stderr.on('data', (data) => {
      errors += data;
    });
    const code = await new Promise((done) => child.on('close', done));

    // The wrapper did hold them: the test can fail.
    expect(errors.split('\n')).toEqual(expect.arrayContaining(['7', '251']));
    expect(code).toBe(0);
    const { end, out } = JSON.parse(printed);
    expect(end).toMatchObject({ exitCode: 0 });
    // 0 to 2, and 3: the directory ls itself reads.
    expect(out.trim().split('\n')).toEqual(['0', '1', '2', '3']);
  });

  it('refuses files past the open-file limit', async () => {
    const ran = await run(
      "node -e \"const fs = require('fs'); let n = 0; try { for (;;) " +
        "{ fs.openSync('/dev/null', 'r'); n++ } } catch (e) " +
        '{ console.log(n, e.code) }"',
      { limits: { ...LIMITS, openFiles: 64 } },
    );

    const [opened, code] = ran.stdout.trim().split(' ');
    expect(code).toBe('EMFILE');
    expect(Number(opened)).toBeLessThan(64);
  });

  it('leaves no control group or workspace behind', async () => {
    await run('true');

    const own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
    for (const controller of ['memory', 'pids']) {
      const dir = join('/sys/fs/cgroup', controller, own.get(controller) ?? '');
      const groups = await readdir(dir).catch(() => []);
      const mine = groups.filter((name) =>
        name.startsWith(`river-${process.pid}-`),
      );
      expect(mine).toEqual([]);
    }
    const left = await readdir(workDir);
    expect(left.filter((name) => name !== 'outside.txt')).toEqual([]);
  });
});

/** Pids of host processes whose command line holds `text`. */
async function processesWith(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const command = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (command.replaceAll('\0', ' ').includes(text)) {
        found.push(Number(entry));
      }
    } catch {
      // It ended meanwhile.
    }
  }
  return found;
}
