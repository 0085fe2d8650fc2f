import { randomBytes } from 'node:crypto';
import { access, readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { delay } from '@river/protocol/internal';

/** A limit that a task's control group enforces and detects. */
export type CgroupLimit = 'memory-limit' | 'process-limit';

/** Ceilings for one task's control group; undefined sets none. */
export interface CgroupLimits {
  memoryBytes?: number;
  processes?: number;
}

/** The highest use a task's control group saw. */
export interface CgroupPeaks {
  memoryBytes?: number;
  processes?: number;
}

/** The control group(s) of one task attempt. */
export interface TaskCgroup {
  /**
   * The `cgroup.procs` files a process writes its own pid into to join
   * the group; its children then stay in it, whatever they do.
   */
  readonly procsFiles: readonly string[];
  /** The limit the task went over so far, read from the kernel's counts. */
  breach(): Promise<CgroupLimit | undefined>;
  /** Peak memory and process count, where the kernel keeps them. */
  peaks(): Promise<CgroupPeaks>;
  /**
   * Kills what still runs in the group and removes it.
   *
   * @throws when the group cannot be removed.
   */
  remove(): Promise<void>;
}

/** Control groups a sandbox can make for its tasks. */
export interface CgroupHost {
  readonly version: 1 | 2;
  /** Whether task groups limit memory. */
  readonly memory: boolean;
  /** Whether task groups limit processes. */
  readonly processes: boolean;
  /** Makes a group for one attempt with the given ceilings. */
  create(name: string, limits: CgroupLimits): Promise<TaskCgroup>;
  /**
   * Removes the groups that sandboxes which no longer run left behind
   * (one killed with SIGKILL cannot remove its own); returns how many.
   */
  sweep(): Promise<number>;
}

/** How long removal waits for a group's processes to be gone. */
const EMPTY_WAIT_MS = 3_000;
/** Time between checks that a group is empty. */
const EMPTY_POLL_MS = 20;

/** One cgroup file system mount, from /proc/self/mountinfo. */
export interface CgroupMount {
  /** `cgroup` (v1) or `cgroup2`. */
  type: string;
  /** The group of the hierarchy that is mounted, usually `/`. */
  root: string;
  mountPoint: string;
  /** Controllers of a v1 mount, from its super options. */
  controllers: string[];
}

/** The cgroup mounts listed in a mountinfo text. */
export function parseMountInfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) {
      continue;
    }
    const fields = left.split(' ');
    const [type, , options = ''] = right.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') {
      continue;
    }
    mounts.push({
      type,
      root: unescapeMountPath(fields[3] ?? '/'),
      mountPoint: unescapeMountPath(fields[4] ?? ''),
      controllers: options.split(','),
    });
  }
  return mounts;
}

/**
 * This process's group per controller from /proc/self/cgroup; the v2
 * group is under the key `''`.
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match === null) {
      continue;
    }
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') {
      groups.set('', path);
    }
    for (const controller of controllers.split(',')) {
      groups.set(controller, path);
    }
  }
  return groups;
}

/** Where a group path lies under a mount of its hierarchy, if it does. */
export function groupDir(mount: CgroupMount, path: string): string | undefined {
  if (mount.root === '/') {
    return join(mount.mountPoint, path);
  }
  if (path === mount.root || path.startsWith(`${mount.root}/`)) {
    return join(mount.mountPoint, path.slice(mount.root.length));
  }
  return undefined;
}

/** Task groups start with their sandbox's pid: `river-<pid>-…`. */
const GROUP_NAME = /^river-(\d+)-/;

/**
 * A new group's name for an attempt: the sandbox's pid, then `name`, then
 * a random suffix, so that a retried attempt never meets an old group.
 */
export function groupName(name: string): string {
  return `river-${process.pid}-${name}-${randomBytes(3).toString('hex')}`;
}

/**
 * Removes the groups under `dir` whose sandbox no longer runs, killing
 * anything still in them; returns how many it removed.
 */
export async function sweepDeadGroups(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir).catch(() => [])) {
    const owner = GROUP_NAME.exec(entry)?.[1];
    if (owner === undefined || (await processExists(Number(owner)))) {
      continue;
    }
    try {
      await removeGroup(join(dir, entry));
      removed++;
    } catch {
      // Left for the next sweep.
    }
  }
  return removed;
}

async function processExists(pid: number): Promise<boolean> {
  try {
    await access(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills whatever is left in a group, waits for it to be empty and removes
 * it. A group that is already gone counts as removed.
 */
export async function removeGroup(dir: string): Promise<void> {
  const deadline = Date.now() + EMPTY_WAIT_MS;
  for (;;) {
    const procs = await readOptional(join(dir, 'cgroup.procs'));
    if (procs === undefined) {
      return;
    }
    const pids = procs.split('\n').filter((line) => line !== '');
    if (pids.length === 0) {
      try {
        await rmdir(dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return;
        }
        if (Date.now() > deadline) {
          throw error;
        }
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Control group ${dir} still holds processes ${pids.join(', ')}.`,
      );
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // It ended meanwhile.
      }
    }
    await delay(EMPTY_POLL_MS);
  }
}

/** The number after `key` in a `key value` per line file. */
export function counter(text: string | undefined, key: string): number {
  const line = text
    ?.split('\n')
    .find((candidate) => candidate.startsWith(`${key} `));
  return Number(line?.slice(key.length + 1) ?? 0) || 0;
}

/** A file's text, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}
