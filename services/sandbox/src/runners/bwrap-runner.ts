import type { Logger } from '@river/protocol/internal';
import { type OutputSink, type ProcessEnd, runProcess } from '../runner.js';
import { handOverWorkspace } from '../workspace.js';
import { taskCommand, taskOptions } from './bwrap-args.js';
import { bwrapEnd, StderrHead, spawnError } from './bwrap-end.js';
import type { CgroupHost, TaskCgroup } from './cgroup-files.js';
import { LimitWatch } from './limit-watch.js';
import { descendants } from './process-tree.js';
import type {
  ResolvedLimits,
  RunnerEnd,
  RunnerRequest,
  TaskRunner,
} from './task-runner.js';

/** Bytes in a MiB, the unit of memory and disk limits. */
const MIB = 1024 * 1024;
/**
 * Processes of the runner itself in a task's control group: bwrap and the
 * reaper that is pid 1 of the task's pid namespace.
 */
const RUNNER_PROCESSES = 2;
/** /dev/shm of a task without a memory limit. */
const DEFAULT_SHM_BYTES = 64 * MIB;
/** The environment of the launcher processes (bwrap clears the task's). */
const LAUNCHER_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
/**
 * Joins the control groups named before `--`, then runs the rest: a
 * process in a group keeps its descendants in it, whatever they do.
 */
const JOIN_CGROUPS_SCRIPT =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; ' +
  'shift; exec "$@"';
/**
 * Closes every file descriptor above 2 but bwrap's options pipe (3), then
 * runs the rest, so that nothing the sandbox inherited (a pipe of the shell
 * that started it) reaches the task. bash, as dash cannot name a
 * descriptor above 9; a descriptor opened by globbing is gone by then.
 */
export const CLOSE_FDS_SCRIPT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansion
  'for fd in /proc/$$/fd/*; do n=${fd##*/}; ' +
  'if [ "$n" -gt 3 ]; then exec {n}<&-; fi; done; exec "$@"';
/** The name the fd-closing shell reports its errors under. */
export const CLOSE_FDS_NAME = 'river-close-fds';

/** Programs of the host the bwrap runner starts. */
export interface BwrapTools {
  bwrap: string;
  /** util-linux `prlimit`, which sets resource limits for what it runs. */
  prlimit: string;
  /** util-linux `setpriv`, which drops root before bwrap runs. */
  setpriv?: string;
  /** bash, which closes inherited file descriptors before bwrap runs. */
  bash: string;
}

/** What the bwrap runner needs from the sandbox. */
export interface BwrapRunnerOptions {
  tools: BwrapTools;
  /** The options showing the host's system, from `systemView`. */
  system: readonly string[];
  /** The user tasks run as, when the sandbox runs as root. */
  taskUser?: { uid: number; gid: number };
  /** Control groups for memory and process limits, where usable. */
  cgroups?: CgroupHost;
  log: Logger;
}

/**
 * Runs each task in a bubblewrap sandbox: its own user, pid, IPC, UTS,
 * cgroup and (unless it may use the network) network namespaces, no
 * capabilities, the host's system read-only, its workspace and a /tmp in
 * it writable, and only its declared environment. Memory and processes
 * are limited by a control group (or, without one, by rlimits), open
 * files and the size of each file by rlimits, and the workspace's size is
 * measured while it runs. When bwrap ends, every process of the task ends
 * with it, including those that started a session of their own.
 */
export class BwrapRunner implements TaskRunner {
  readonly kind = 'bwrap';
  readonly #options: BwrapRunnerOptions;
  /** Groups whose removal failed (a process slow to die), tried again. */
  readonly #unremoved = new Set<TaskCgroup>();

  constructor(options: BwrapRunnerOptions) {
    this.#options = options;
  }

  async run(request: RunnerRequest, sink: OutputSink): Promise<RunnerEnd> {
    const log = request.log ?? this.#options.log;
    const { taskUser, cgroups } = this.#options;
    if (taskUser !== undefined) {
      try {
        await handOverWorkspace(request.workspace, taskUser.uid, taskUser.gid);
      } catch (error) {
        return spawnError(
          `The workspace could not be given to the task's user ` +
            `${taskUser.uid}: ${messageOf(error)}`,
        );
      }
    }

    let cgroup: TaskCgroup | undefined;
    try {
      cgroup = await cgroups?.create(
        request.attemptKey,
        cgroupLimits(request.limits),
      );
    } catch (error) {
      return spawnError(
        `The task's control group could not be made: ${messageOf(error)}`,
      );
    }
    try {
      return await this.#runIn(request, sink, cgroup, log);
    } finally {
      if (cgroup !== undefined) {
        this.#unremoved.add(cgroup);
      }
      await this.#removeGroups(log);
    }
  }

  /** Removes this attempt's group and any an earlier attempt left. */
  async #removeGroups(log: Logger): Promise<void> {
    for (const group of this.#unremoved) {
      try {
        await group.remove();
        this.#unremoved.delete(group);
      } catch (error) {
        log.warn(
          { err: error },
          'Could not remove a task control group yet; will try again',
        );
      }
    }
  }

  async #runIn(
    request: RunnerRequest,
    sink: OutputSink,
    cgroup: TaskCgroup | undefined,
    log: Logger,
  ): Promise<RunnerEnd> {
    const { limits } = request;
    const stop = new AbortController();
    const stopOnAbort = () => stop.abort();
    if (request.signal?.aborted) {
      stop.abort();
    }
    request.signal?.addEventListener('abort', stopOnAbort, { once: true });
    const watch = new LimitWatch(
      {
        ...(cgroup === undefined ? {} : { cgroup }),
        workspace: request.workspace,
        ...(limits.diskMb === undefined
          ? {}
          : { diskBytes: limits.diskMb * MIB }),
        ...(limits.files === undefined ? {} : { files: limits.files }),
      },
      () => stop.abort(),
    );
    const head = new StderrHead(sink);

    let end: ProcessEnd;
    watch.start();
    try {
      end = await runProcess(
        {
          command: this.#launcher(request, cgroup),
          cwd: '/',
          env: LAUNCHER_ENV,
          timeoutMs: request.timeoutMs,
          signal: stop.signal,
          fd3Input: encodeOptions(
            taskOptions({
              workspace: request.workspace,
              cwd: request.cwd,
              env: request.env,
              network: request.network,
              shmBytes:
                limits.memoryMb === undefined
                  ? DEFAULT_SHM_BYTES
                  : limits.memoryMb * MIB,
              system: this.#options.system,
            }),
          ),
          askToStop: (pid) => {
            void askToStop(pid, watch.breach !== undefined);
          },
        },
        head,
      );
    } finally {
      request.signal?.removeEventListener('abort', stopOnAbort);
    }
    const limit = await watch.stop();

    if (cgroup !== undefined) {
      const peaks = await cgroup.peaks();
      log.debug(
        {
          attemptKey: request.attemptKey,
          memoryPeakMb:
            peaks.memoryBytes === undefined
              ? undefined
              : Math.ceil(peaks.memoryBytes / MIB),
          processesPeak:
            peaks.processes === undefined
              ? undefined
              : peaks.processes - RUNNER_PROCESSES,
        },
        'Task attempt resource peaks',
      );
    }
    return bwrapEnd(end, request, head.text(), limit);
  }

  /**
   * The programs that start bwrap: a shell joining the control groups,
   * prlimit setting the rlimits, setpriv dropping root, bash closing
   * inherited file descriptors, then bwrap, which reads its options from
   * fd 3.
   */
  #launcher(request: RunnerRequest, cgroup: TaskCgroup | undefined): string[] {
    const { tools, taskUser, cgroups } = this.#options;
    const join =
      cgroup === undefined || cgroup.procsFiles.length === 0
        ? []
        : ['/bin/sh', '-c', JOIN_CGROUPS_SCRIPT, 'river-cgroup-join']
            .concat(cgroup.procsFiles)
            .concat('--');
    const limits = [
      tools.prlimit,
      ...rlimits(request.limits, {
        memory: cgroups?.memory === true,
        processes: cgroups?.processes === true,
      }),
      '--',
    ];
    const drop =
      taskUser === undefined || tools.setpriv === undefined
        ? []
        : [
            tools.setpriv,
            `--reuid=${taskUser.uid}`,
            `--regid=${taskUser.gid}`,
            '--clear-groups',
            '--no-new-privs',
            '--',
          ];
    return [
      ...join,
      ...limits,
      ...drop,
      tools.bash,
      '-c',
      CLOSE_FDS_SCRIPT,
      CLOSE_FDS_NAME,
      tools.bwrap,
      '--args',
      '3',
      '--',
      ...taskCommand(request.command),
    ];
  }
}

function cgroupLimits(limits: ResolvedLimits) {
  return {
    ...(limits.memoryMb === undefined
      ? {}
      : { memoryBytes: limits.memoryMb * MIB }),
    ...(limits.processes === undefined
      ? {}
      : { processes: limits.processes + RUNNER_PROCESSES }),
  };
}

/**
 * prlimit's options: open files and the size of any one file always;
 * memory (address space per process) and processes (per user) only where
 * no control group counts them, as those rlimits are much cruder.
 */
export function rlimits(
  limits: ResolvedLimits,
  counted: { memory: boolean; processes: boolean },
): string[] {
  const options: string[] = [];
  const pair = (name: string, value: number) => `--${name}=${value}:${value}`;
  if (limits.openFiles !== undefined) {
    options.push(pair('nofile', limits.openFiles));
  }
  if (limits.diskMb !== undefined) {
    options.push(pair('fsize', limits.diskMb * MIB));
  }
  if (limits.memoryMb !== undefined && !counted.memory) {
    options.push(pair('as', limits.memoryMb * MIB));
  }
  if (limits.processes !== undefined && !counted.processes) {
    options.push(pair('nproc', limits.processes + RUNNER_PROCESSES));
  }
  return options;
}

/**
 * Asks a task to stop: SIGTERM to every process under bwrap, so that
 * bwrap itself lives on to end them all with SIGKILL should they linger;
 * a task over a limit gets SIGKILL at once.
 */
async function askToStop(pid: number, overLimit: boolean): Promise<void> {
  if (overLimit) {
    signal(pid, 'SIGKILL');
    return;
  }
  for (const child of await descendants(pid)) {
    signal(child, 'SIGTERM');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It ended meanwhile.
  }
}

/** bwrap's options as its `--args` file descriptor expects them. */
function encodeOptions(options: readonly string[]): Buffer {
  for (const option of options) {
    if (option.includes('\0')) {
      throw new Error(
        'A bwrap option holds a NUL byte, which cannot be passed.',
      );
    }
  }
  return Buffer.from(options.map((option) => `${option}\0`).join(''));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
