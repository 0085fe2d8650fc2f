import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { WORKSPACE_TMP_DIR } from '../workspace.js';

/** Where a bwrap task sees its workspace. */
export const TASK_WORKSPACE = '/workspace';
/** Where a bwrap task sees its private temporary directory. */
export const TASK_TMP = '/tmp';
/** The host name a bwrap task sees. */
export const TASK_HOSTNAME = 'river-task';
/** `$0` of the small shell that runs an argument vector inside. */
export const EXEC_SHIM_NAME = 'river-task';

/**
 * Top-level system directories shown read-only when they are directories,
 * or made again as the same symlink (a merged /usr has /bin -> usr/bin).
 */
const SYSTEM_DIRS = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
];

/**
 * The pieces of /etc that programs need to resolve users, hosts and
 * libraries, find certificates and the Debian alternatives, and nothing
 * else: no shadow files, no keys, no service configuration.
 */
const ETC_ENTRIES = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/debian_version',
  '/etc/gai.conf',
  '/etc/group',
  '/etc/host.conf',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/mime.types',
  '/etc/nsswitch.conf',
  '/etc/os-release',
  '/etc/passwd',
  '/etc/protocols',
  '/etc/resolv.conf',
  '/etc/services',
  '/etc/ssl',
  '/etc/timezone',
];

/**
 * The bwrap options that show a task the host's system read-only: its
 * system directories, the needed pieces of /etc, and `extra` host paths
 * at the same place.
 */
export async function systemView(extra: readonly string[]): Promise<string[]> {
  const options: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let isLink: boolean;
    try {
      isLink = (await lstat(dir)).isSymbolicLink();
    } catch {
      continue;
    }
    options.push(
      ...(isLink
        ? ['--symlink', await readlink(dir), dir]
        : ['--ro-bind', dir, dir]),
    );
  }
  for (const entry of ETC_ENTRIES) {
    options.push('--ro-bind-try', entry, entry);
  }
  for (const path of extra) {
    options.push('--ro-bind', path, path);
  }
  return options;
}

/** What the sandbox around one task looks like. */
export interface TaskView {
  /** Host path of the workspace, shown read-write at {@link TASK_WORKSPACE}. */
  workspace: string;
  /** Working directory relative to the workspace; '' is its root. */
  cwd: string;
  /** The task's environment, with host workspace paths. */
  env: Record<string, string>;
  network: boolean;
  /** Size of the task's /dev/shm. */
  shmBytes: number;
  /** From {@link systemView}. */
  system: readonly string[];
}

/**
 * The bwrap options for one task: every namespace of its own (the network
 * too unless it may use it, users mapped so that it has no capabilities),
 * the read-only system, a fresh /proc and /dev, its workspace and a /tmp
 * inside it, a read-only root, and only its declared environment. They go
 * to bwrap through a pipe (`--args`), so that environment values, secrets
 * among them, do not show in the host's process list.
 */
export function taskOptions(view: TaskView): string[] {
  const tmp = join(view.workspace, WORKSPACE_TMP_DIR);
  return [
    '--unshare-user',
    '--disable-userns',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(view.network ? [] : ['--unshare-net']),
    '--hostname',
    TASK_HOSTNAME,
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...view.system,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(view.shmBytes),
    '--tmpfs',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    '--dir',
    '/var',
    '--symlink',
    '../tmp',
    '/var/tmp',
    '--bind',
    view.workspace,
    TASK_WORKSPACE,
    '--bind',
    tmp,
    TASK_TMP,
    '--remount-ro',
    '/',
    '--chdir',
    posix.join(TASK_WORKSPACE, view.cwd),
    '--clearenv',
    ...Object.entries(view.env).flatMap(([name, value]) => [
      '--setenv',
      name,
      insideValue(value, view.workspace),
    ]),
  ];
}

/**
 * What runs inside: a shell line through `/bin/sh -c`, an argument vector
 * through a shell that only execs it, so that a program that cannot be
 * run is reported by the shell (exit 127 or 126) rather than by bwrap.
 */
export function taskCommand(command: string | readonly string[]): string[] {
  return typeof command === 'string'
    ? ['/bin/sh', '-c', command]
    : ['/bin/sh', '-c', 'exec "$@"', EXEC_SHIM_NAME, ...command];
}

/**
 * An environment value as the task sees it: host paths into the workspace
 * point to its mount, and the workspace's temporary directory to /tmp.
 */
export function insideValue(value: string, workspace: string): string {
  const tmp = join(workspace, WORKSPACE_TMP_DIR);
  if (value === tmp) {
    return TASK_TMP;
  }
  if (value.startsWith(`${tmp}/`)) {
    return TASK_TMP + value.slice(tmp.length);
  }
  if (value === workspace) {
    return TASK_WORKSPACE;
  }
  if (value.startsWith(`${workspace}/`)) {
    return TASK_WORKSPACE + value.slice(workspace.length);
  }
  return value;
}
