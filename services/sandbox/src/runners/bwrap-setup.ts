import { chmod, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import type { Logger } from '@river/protocol/internal';
import type { OutputSink } from '../runner.js';
import {
  createWorkspace,
  removeWorkspace,
  type Workspace,
} from '../workspace.js';
import { systemView } from './bwrap-args.js';
import { BwrapRunner, type BwrapTools } from './bwrap-runner.js';
import type { CgroupHost } from './cgroup-files.js';
import { openCgroups } from './cgroups.js';
import { findProgram } from './host-programs.js';
import type { ResolvedLimits } from './task-runner.js';

/** The user and group a root sandbox runs bwrap tasks as: nobody. */
export const TASK_USER_ID = 65_534;
/** How long the start-up check of bwrap may take. */
const PROBE_TIMEOUT_MS = 10_000;
/** Limits of the start-up check, so that it exercises every mechanism. */
const PROBE_LIMITS: ResolvedLimits = {
  memoryMb: 64,
  processes: 8,
  openFiles: 64,
  diskMb: 16,
};

/** What setting up the bwrap runner needs. */
export interface BwrapSetup {
  /** Where workspaces are made; the start-up check runs in one. */
  workDir: string;
  /** Extra host paths to show tasks read-only. */
  readOnlyPaths: readonly string[];
  log: Logger;
}

/**
 * Sets up the bwrap runner and checks that it works on this host, by
 * running `true` in a sandbox exactly as a task would run: with its own
 * workspace, control group and limits. Returns why not when it does not.
 */
export async function setUpBwrap(
  setup: BwrapSetup,
): Promise<{ runner: BwrapRunner } | { unavailable: string }> {
  const asRoot = process.getuid?.() === 0;
  const tools = await findTools(asRoot);
  if ('unavailable' in tools) {
    return tools;
  }
  for (const path of setup.readOnlyPaths) {
    if (!isAbsolute(path)) {
      return { unavailable: `read-only path "${path}" is not absolute` };
    }
  }

  const opened = await openCgroups();
  let cgroups: CgroupHost | undefined;
  if ('host' in opened) {
    cgroups = opened.host;
    const swept = await cgroups.sweep();
    if (swept > 0) {
      setup.log.info(
        { groups: swept },
        'Removed task control groups left by sandboxes that are gone',
      );
    }
  } else {
    setup.log.warn(
      { why: opened.unavailable },
      'No control groups for tasks: memory and process limits fall back ' +
        'to rlimits per process and per user',
    );
  }
  if (asRoot) {
    await letTaskUserThrough(setup.workDir, setup.log);
  }

  const runner = new BwrapRunner({
    tools,
    system: await systemView([
      ...setup.readOnlyPaths,
      ...(await nodeOutsideUsr()),
    ]),
    ...(asRoot ? { taskUser: { uid: TASK_USER_ID, gid: TASK_USER_ID } } : {}),
    ...(cgroups === undefined ? {} : { cgroups }),
    log: setup.log,
  });
  const failure = await probe(runner, setup.workDir);
  if (failure !== undefined) {
    return { unavailable: failure };
  }
  setup.log.info(
    {
      bwrap: tools.bwrap,
      taskUid: asRoot ? TASK_USER_ID : process.getuid?.(),
      cgroupVersion: cgroups?.version,
      cgroupMemory: cgroups?.memory ?? false,
      cgroupProcesses: cgroups?.processes ?? false,
    },
    'The bwrap runner works on this host',
  );
  return { runner };
}

async function findTools(
  asRoot: boolean,
): Promise<BwrapTools | { unavailable: string }> {
  const bwrap = await findProgram('bwrap');
  if (bwrap === undefined) {
    return {
      unavailable:
        'bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)',
    };
  }
  const prlimit = await findProgram('prlimit');
  const setpriv = await findProgram('setpriv');
  if (prlimit === undefined || (asRoot && setpriv === undefined)) {
    return {
      unavailable: `prlimit${asRoot ? ' or setpriv' : ''} of util-linux is missing`,
    };
  }
  const bash = await findProgram('bash');
  if (bash === undefined) {
    return {
      unavailable:
        'bash is missing; it closes inherited file descriptors before bwrap',
    };
  }
  return {
    bwrap,
    prlimit,
    bash,
    ...(setpriv === undefined ? {} : { setpriv }),
  };
}

/**
 * Lets the unprivileged task user pass through the work directory to its
 * own workspace (execute permission only: it cannot list the others).
 */
async function letTaskUserThrough(workDir: string, log: Logger) {
  const mode = (await stat(workDir)).mode & 0o7777;
  if ((mode & 0o001) === 0) {
    await chmod(workDir, mode | 0o001);
    log.info(
      { workDir, mode: (mode | 0o001).toString(8) },
      'Let the task user pass through the work directory',
    );
  }
}

/**
 * The installation directory of the Node.js running the sandbox when it
 * lies outside /usr, so that tasks find the same `node` and `npm`.
 */
async function nodeOutsideUsr(): Promise<string[]> {
  const prefix = dirname(dirname(await realpath(process.execPath)));
  return prefix === '/usr' || prefix.startsWith('/usr/') ? [] : [prefix];
}

/** Runs `true` as a task would run; returns what went wrong, if anything. */
async function probe(
  runner: BwrapRunner,
  workDir: string,
): Promise<string | undefined> {
  let workspace: Workspace | undefined;
  const output: Buffer[] = [];
  const sink: OutputSink = {
    write: (_, data) => output.push(data) > 0,
    drained: () => Promise.resolve(),
  };
  try {
    workspace = await createWorkspace(workDir, 'bwrap-check');
    const end = await runner.run(
      {
        attemptKey: 'bwrap-check',
        command: 'true',
        workspace: workspace.root,
        cwd: '',
        env: {},
        timeoutMs: PROBE_TIMEOUT_MS,
        network: false,
        limits: PROBE_LIMITS,
      },
      sink,
    );
    if (end.kind === 'spawn-error') {
      return end.error.message;
    }
    if (end.exitCode !== 0) {
      const printed = Buffer.concat(output).toString('utf8').trim();
      return (
        `a sandbox running \`true\` ended with ${end.signal ?? `exit code ${end.exitCode}`}` +
        (printed === '' ? '' : `: ${printed}`)
      );
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    if (workspace !== undefined) {
      await removeWorkspace(workspace.root).catch(() => undefined);
    }
  }
}
