import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * How a run's job logic process is confined besides its V8 context and
 * Node's permission model: `bwrap` adds namespaces (no network, its own
 * process ids, a read-only view of the files Node needs); `process` is a
 * plain child process.
 */
export type JobSandbox = 'bwrap' | 'process';

/** The setting: a sandbox, or `auto` for bwrap when it works here. */
export type JobSandboxSetting = JobSandbox | 'auto';

/** What one run's job logic process may use. */
export interface JobProcessLimits {
  /** JavaScript heap and ArrayBuffers together, in MiB. */
  memoryLimitMb: number;
  /** CPU time over the process's life, in milliseconds. */
  cpuLimitMs: number;
}

/** A command line that starts a job logic process. */
export interface JobProcessCommand {
  command: string;
  args: string[];
}

/**
 * Writable memory Node itself takes before job logic allocates anything
 * (its own heap, thread stacks, buffers), added to the run's limit for
 * the process's data limit.
 */
const NODE_OWN_MEMORY_MB = 64;

const BWRAP = '/usr/bin/bwrap';

/** Directories the dynamic loader and Node's binary may come from. */
const SYSTEM_DIRS = ['/usr', '/lib', '/lib64', '/lib32', '/bin'];

/**
 * The command that starts `script` (a file and its arguments) as a job
 * logic process: a shell sets
 * the kernel's limits (writable memory, which covers ArrayBuffers; CPU
 * time; no core file) and replaces itself with Node, in bwrap when asked.
 * Node runs with its permission model, reading only `readable`, and
 * allows no code generation from strings even outside job logic's
 * context.
 */
export function jobProcessCommand(
  script: string[],
  readable: string[],
  limits: JobProcessLimits,
  sandbox: JobSandbox,
): JobProcessCommand {
  const dataKb = (limits.memoryLimitMb + NODE_OWN_MEMORY_MB) * 1024;
  const cpuSeconds = Math.ceil(limits.cpuLimitMs / 1000);
  // The soft CPU limit sends SIGXCPU, which names the cause; the hard
  // one a second later is the kernel's SIGKILL in case it is ignored.
  const shell =
    `ulimit -c 0 && ulimit -d ${dataKb} && ` +
    `ulimit -S -t ${cpuSeconds} && ulimit -H -t ${cpuSeconds + 1} && ` +
    'exec "$@"';
  const node = [
    process.execPath,
    '--experimental-permission',
    ...readable.map((path) => `--allow-fs-read=${path}`),
    '--disable-warning=ExperimentalWarning',
    '--disallow-code-generation-from-strings',
    // Lets the realm answer `import()` with an error of its own.
    '--experimental-vm-modules',
    `--max-old-space-size=${limits.memoryLimitMb}`,
    // Fewer V8 helper threads: each holds a stack counted as data.
    '--v8-pool-size=1',
    ...script,
  ];
  const wrapped =
    sandbox === 'bwrap' ? [BWRAP, ...bwrapArgs(readable), ...node] : node;
  return {
    command: '/bin/sh',
    args: ['-c', shell, 'river-job', ...wrapped],
  };
}

function bwrapArgs(readable: string[]): string[] {
  const nodeHome = dirname(dirname(realpathSync(process.execPath)));
  const binds = [...new Set([...SYSTEM_DIRS, nodeHome, ...readable])]
    .map((path) => path.replace(/\/+$/, '') || '/')
    .filter((path) => existsSync(path));
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    // After the private /tmp, so that River installed under /tmp is seen.
    ...binds.flatMap((path) => ['--ro-bind', path, path]),
    '--',
  ];
}

/**
 * Resolves `auto` to bwrap when bwrap can start Node on this machine
 * (it needs namespaces, which some containers do not allow), and to a
 * plain process otherwise; `bwrap` is checked the same way.
 *
 * @throws Error when `bwrap` is asked for and does not work here.
 */
export function resolveJobSandbox(setting: JobSandboxSetting): JobSandbox {
  if (setting === 'process') {
    return 'process';
  }
  const probe = spawnSync(
    BWRAP,
    [...bwrapArgs([]), process.execPath, '-e', ''],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 },
  );
  if (probe.status === 0) {
    return 'bwrap';
  }
  if (setting === 'bwrap') {
    const why =
      probe.error?.message ?? probe.stderr?.toString().trim() ?? 'no reason';
    throw new Error(
      `RIVER_JOB_SANDBOX is bwrap, but ${BWRAP} cannot start Node here ` +
        `(${why}); install bubblewrap, allow user namespaces, or set ` +
        'RIVER_JOB_SANDBOX=process.',
    );
  }
  return 'process';
}
