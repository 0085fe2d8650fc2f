import { readFile } from 'node:fs/promises';
import {
  type CgroupHost,
  type CgroupMount,
  parseMountInfo,
  parseProcCgroup,
} from './cgroup-files.js';
import { CgroupV1Host, usableV1Dir } from './cgroups-v1.js';
import { cgroupV2Dir, openCgroupV2 } from './cgroups-v2.js';

/**
 * Finds the memory and pids controllers this process may make child
 * groups under: its own groups in cgroup v1 (each controller mounted on
 * its own), or in cgroup v2 when they are delegated to it. When neither
 * controller is usable, says why instead.
 */
export async function openCgroups(): Promise<
  { host: CgroupHost } | { unavailable: string }
> {
  let mounts: CgroupMount[];
  let own: Map<string, string>;
  try {
    mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
    own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  } catch (error) {
    return { unavailable: `cannot read /proc: ${messageOf(error)}` };
  }

  const memory = await usableV1Dir(mounts, own, 'memory');
  const pids = await usableV1Dir(mounts, own, 'pids');
  if (memory !== undefined || pids !== undefined) {
    return { host: new CgroupV1Host(memory, pids) };
  }
  const v2 = cgroupV2Dir(mounts, own);
  if (v2 === undefined) {
    return {
      unavailable:
        'neither a writable memory or pids controller (cgroup v1) nor a ' +
        'cgroup v2 hierarchy was found',
    };
  }
  return openCgroupV2(v2);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
