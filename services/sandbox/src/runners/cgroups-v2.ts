import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CgroupHost,
  type CgroupLimit,
  type CgroupLimits,
  type CgroupMount,
  type CgroupPeaks,
  counter,
  groupDir,
  groupName,
  readOptional,
  removeGroup,
  sweepDeadGroups,
  type TaskCgroup,
} from './cgroup-files.js';

/** The controllers task groups use. */
const WANTED = ['memory', 'pids'] as const;

/** This process's cgroup v2 directory, when a v2 hierarchy is mounted. */
export function cgroupV2Dir(
  mounts: CgroupMount[],
  own: Map<string, string>,
): string | undefined {
  const mount = mounts.find((candidate) => candidate.type === 'cgroup2');
  const path = own.get('');
  if (mount === undefined || path === undefined) {
    return undefined;
  }
  return groupDir(mount, path);
}

/**
 * Makes the memory and pids controllers available to child groups of
 * `dir`, this process's own v2 group. A group that holds processes may
 * not hand controllers down ("no internal processes"), so when enabling
 * them is refused this process first moves into a leaf group of its own;
 * if others still share the group, v2 cannot be used.
 */
export async function openCgroupV2(
  dir: string,
): Promise<{ host: CgroupHost } | { unavailable: string }> {
  const available = (
    (await readOptional(join(dir, 'cgroup.controllers'))) ?? ''
  )
    .split(' ')
    .filter((name) => (WANTED as readonly string[]).includes(name));
  if (available.length === 0) {
    return {
      unavailable: `cgroup v2 group ${dir} offers neither memory nor pids`,
    };
  }

  const enable = available.map((name) => `+${name}`).join(' ');
  const control = join(dir, 'cgroup.subtree_control');
  try {
    await writeFile(control, enable);
  } catch {
    try {
      const leaf = join(dir, `river-${process.pid}-sandbox`);
      await mkdir(leaf, { recursive: true });
      await writeFile(join(leaf, 'cgroup.procs'), String(process.pid));
      await writeFile(control, enable);
    } catch (error) {
      return {
        unavailable:
          `cgroup v2 group ${dir} cannot hand ${available.join(' and ')} ` +
          `down to task groups (${messageOf(error)}); delegate a group ` +
          'of its own to the sandbox',
      };
    }
  }
  return {
    host: new CgroupV2Host(
      dir,
      available.includes('memory'),
      available.includes('pids'),
    ),
  };
}

/** cgroup v2: one group per task holding both controllers. */
class CgroupV2Host implements CgroupHost {
  readonly version = 2;
  readonly memory: boolean;
  readonly processes: boolean;
  readonly #dir: string;

  constructor(dir: string, memory: boolean, processes: boolean) {
    this.#dir = dir;
    this.memory = memory;
    this.processes = processes;
  }

  sweep(): Promise<number> {
    return sweepDeadGroups(this.#dir);
  }

  async create(name: string, limits: CgroupLimits): Promise<TaskCgroup> {
    const dir = join(this.#dir, groupName(name));
    await mkdir(dir);
    const group = new CgroupV2Group(dir);
    try {
      if (this.memory && limits.memoryBytes !== undefined) {
        await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
        // Going over the ceiling ends in the OOM killer, not in swap.
        await writeFile(join(dir, 'memory.swap.max'), '0').catch(
          () => undefined,
        );
      }
      if (this.processes && limits.processes !== undefined) {
        await writeFile(join(dir, 'pids.max'), String(limits.processes));
      }
    } catch (error) {
      await group.remove().catch(() => undefined);
      throw error;
    }
    return group;
  }
}

class CgroupV2Group implements TaskCgroup {
  readonly procsFiles: readonly string[];
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.procsFiles = [join(dir, 'cgroup.procs')];
  }

  async breach(): Promise<CgroupLimit | undefined> {
    const memory = await readOptional(join(this.#dir, 'memory.events'));
    if (counter(memory, 'oom_kill') > 0) {
      return 'memory-limit';
    }
    const pids = await readOptional(join(this.#dir, 'pids.events'));
    if (counter(pids, 'max') > 0) {
      return 'process-limit';
    }
    return undefined;
  }

  async peaks(): Promise<CgroupPeaks> {
    const memory = await readOptional(join(this.#dir, 'memory.peak'));
    const processes = await readOptional(join(this.#dir, 'pids.peak'));
    return {
      ...(memory === undefined ? {} : { memoryBytes: Number(memory) }),
      ...(processes === undefined ? {} : { processes: Number(processes) }),
    };
  }

  async remove(): Promise<void> {
    // cgroup.kill (Linux 5.14) ends every process at once, forks included.
    await writeFile(join(this.#dir, 'cgroup.kill'), '1').catch(() => undefined);
    await removeGroup(this.#dir);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
