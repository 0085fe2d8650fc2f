import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  counter,
  groupDir,
  parseMountInfo,
  parseProcCgroup,
} from './cgroup-files.js';
import { openCgroups } from './cgroups.js';

const MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '50 23 0:40 / /mnt/with\\040space rw - ext4 /dev/vdb rw',
].join('\n');

describe('finding control groups', () => {
  it('reads cgroup mounts, their controllers and mount roots', () => {
    const mounts = parseMountInfo(MOUNTINFO);

    expect(mounts).toEqual([
      {
        type: 'cgroup',
        root: '/',
        mountPoint: '/sys/fs/cgroup/memory',
        controllers: ['rw', 'memory'],
      },
      {
        type: 'cgroup',
        root: '/docker/abc',
        mountPoint: '/sys/fs/cgroup/pids',
        controllers: ['rw', 'pids'],
      },
      {
        type: 'cgroup2',
        root: '/',
        mountPoint: '/sys/fs/cgroup/unified',
        controllers: ['rw'],
      },
    ]);
  });

  it("reads this process's group per controller, v2 under ''", () => {
    const own = parseProcCgroup(
      '8:pids:/docker/abc/x\n4:memory:/jobs/7\n1:cpu,cpuacct:/\n0::/user.slice\n',
    );

    expect(own.get('memory')).toBe('/jobs/7');
    expect(own.get('cpuacct')).toBe('/');
    expect(own.get('')).toBe('/user.slice');
  });

  it('places a group under a mount of part of its hierarchy', () => {
    const [, pids] = parseMountInfo(MOUNTINFO);
    if (pids === undefined) {
      throw new Error('No pids mount.');
    }

    expect(groupDir(pids, '/docker/abc/x')).toBe('/sys/fs/cgroup/pids/x');
    expect(groupDir(pids, '/elsewhere')).toBeUndefined();
  });

  it('reads counters of an events file', () => {
    expect(counter('low 0\nhigh 2\noom_kill 3', 'oom_kill')).toBe(3);
    expect(counter('max 0', 'max')).toBe(0);
    expect(counter(undefined, 'max')).toBe(0);
  });
});

const opened = await openCgroups();
const host = 'host' in opened ? opened.host : undefined;
const made: string[] = [];

afterAll(async () => {
  for (const dir of made) {
    await rmdir(dir).catch(() => undefined);
  }
});

describe.runIf(host?.version === 1 && host.processes)('task groups', () => {
  it('are swept when the sandbox that made them is gone, and only then', async () => {
    const own = parseProcCgroup(
      spawnSync('cat', ['/proc/self/cgroup'], { encoding: 'utf8' }).stdout,
    );
    const parent = join('/sys/fs/cgroup/pids', own.get('pids') ?? '/');
    const dead = spawnSync('true').pid as number;
    const gone = join(parent, `river-${dead}-run-x.task-1.1-aaaaaa`);
    const mine = join(parent, `river-${process.pid}-run-x.task-1.1-bbbbbb`);
    for (const dir of [gone, mine]) {
      await mkdir(dir);
      made.push(dir);
    }

    await host?.sweep();

    expect(existsSync(gone)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });
});
