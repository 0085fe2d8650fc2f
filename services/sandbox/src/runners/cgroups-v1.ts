import { access, mkdir, rmdir, writeFile } from 'node:fs/promises';
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

/**
 * This process's own group under the v1 hierarchy of `controller`, if
 * child groups can be made there.
 */
export async function usableV1Dir(
  mounts: CgroupMount[],
  own: Map<string, string>,
  controller: string,
): Promise<string | undefined> {
  const mount = mounts.find(
    (candidate) =>
      candidate.type === 'cgroup' && candidate.controllers.includes(controller),
  );
  const path = own.get(controller);
  if (mount === undefined || path === undefined) {
    return undefined;
  }
  const dir = groupDir(mount, path);
  if (dir === undefined) {
    return undefined;
  }
  // Writable only if a child group can really be made and removed.
  const probe = join(dir, `river-probe-${process.pid}`);
  try {
    await mkdir(probe);
    await rmdir(probe);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * cgroup v1: memory and pids each in a hierarchy of their own; task
 * groups are children of this process's group in each.
 */
export class CgroupV1Host implements CgroupHost {
  readonly version = 1;
  readonly memory: boolean;
  readonly processes: boolean;
  readonly #memoryDir: string | undefined;
  readonly #pidsDir: string | undefined;

  constructor(memoryDir: string | undefined, pidsDir: string | undefined) {
    this.#memoryDir = memoryDir;
    this.#pidsDir = pidsDir;
    this.memory = memoryDir !== undefined;
    this.processes = pidsDir !== undefined;
  }

  async sweep(): Promise<number> {
    let removed = 0;
    for (const dir of [this.#memoryDir, this.#pidsDir]) {
      if (dir !== undefined) {
        removed += await sweepDeadGroups(dir);
      }
    }
    return removed;
  }

  async create(name: string, limits: CgroupLimits): Promise<TaskCgroup> {
    const leaf = groupName(name);
    const memory =
      this.#memoryDir === undefined ? undefined : join(this.#memoryDir, leaf);
    const pids =
      this.#pidsDir === undefined ? undefined : join(this.#pidsDir, leaf);
    const group = new CgroupV1Group(memory, pids);
    try {
      if (memory !== undefined) {
        await mkdir(memory);
        if (limits.memoryBytes !== undefined) {
          await setMemoryV1(memory, limits.memoryBytes);
        }
      }
      if (pids !== undefined) {
        await mkdir(pids);
        if (limits.processes !== undefined) {
          await writeFile(join(pids, 'pids.max'), String(limits.processes));
        }
      }
    } catch (error) {
      await group.remove().catch(() => undefined);
      throw error;
    }
    return group;
  }
}

async function setMemoryV1(dir: string, bytes: number): Promise<void> {
  await writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes));
  // With swap accounting, memory and swap together get the same ceiling,
  // so that going over it ends in the OOM killer rather than in swap.
  const swap = join(dir, 'memory.memsw.limit_in_bytes');
  if (await exists(swap)) {
    await writeFile(swap, String(bytes));
  }
}

class CgroupV1Group implements TaskCgroup {
  readonly procsFiles: readonly string[];
  readonly #memory: string | undefined;
  readonly #pids: string | undefined;

  constructor(memory: string | undefined, pids: string | undefined) {
    this.#memory = memory;
    this.#pids = pids;
    this.procsFiles = [memory, pids]
      .filter((dir) => dir !== undefined)
      .map((dir) => join(dir, 'cgroup.procs'));
  }

  async breach(): Promise<CgroupLimit | undefined> {
    if (this.#memory !== undefined) {
      const control = await readOptional(
        join(this.#memory, 'memory.oom_control'),
      );
      if (counter(control, 'oom_kill') > 0) {
        return 'memory-limit';
      }
    }
    if (this.#pids !== undefined) {
      const events = await readOptional(join(this.#pids, 'pids.events'));
      if (counter(events, 'max') > 0) {
        return 'process-limit';
      }
    }
    return undefined;
  }

  async peaks(): Promise<CgroupPeaks> {
    const memory =
      this.#memory === undefined
        ? undefined
        : await readOptional(join(this.#memory, 'memory.max_usage_in_bytes'));
    const processes =
      this.#pids === undefined
        ? undefined
        : await readOptional(join(this.#pids, 'pids.peak'));
    return {
      ...(memory === undefined ? {} : { memoryBytes: Number(memory) }),
      ...(processes === undefined ? {} : { processes: Number(processes) }),
    };
  }

  async remove(): Promise<void> {
    for (const dir of [this.#memory, this.#pids]) {
      if (dir !== undefined) {
        await removeGroup(dir);
      }
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
