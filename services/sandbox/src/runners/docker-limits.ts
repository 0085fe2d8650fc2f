import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { diskUsage } from './disk-usage.js';

/** How often the process count's failures are read. */
const PIDS_POLL_MS = 200;
/** Least time between two measures of the disk a task uses. */
const DISK_POLL_MS = 1_000;
/**
 * A disk measure may take at most this share of the time between two,
 * so that a workspace of many files is walked less often.
 */
const DISK_POLL_SHARE = 10;

/** A limit the watch saw a container reach. */
export type WatchedLimit = 'process-limit' | 'disk-limit' | 'file-limit';

/** What to watch about one container. */
export interface LimitWatchTarget {
  /** The workspace on the host, mounted read-write into the container. */
  workspace: string;
  /** The container's path of its private tmpfs, such as `/tmp`. */
  tmpPath: string;
  /** Bytes the workspace, inputs included, and the tmpfs may hold. */
  diskBytes?: number;
  /** Files and directories the workspace and the tmpfs may hold. */
  files?: number;
  /** Whether the container has a process limit to watch. */
  processes: boolean;
}

/**
 * Watches a running container for limits the engine enforces without
 * saying so: a refused fork shows only in its pids cgroup's `pids.events`,
 * and disk is measured here, since a bind-mounted workspace has no quota.
 * Calls `onLimit` once, with the first limit seen.
 */
export class ContainerLimitWatch {
  readonly #target: LimitWatchTarget;
  readonly #onLimit: (limit: WatchedLimit) => void;
  #limit: WatchedLimit | undefined;
  #pidsEvents: string | undefined;
  #pid = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(
    target: LimitWatchTarget,
    onLimit: (limit: WatchedLimit) => void,
  ) {
    this.#target = target;
    this.#onLimit = onLimit;
  }

  /** The first limit seen, if any. */
  get limit(): WatchedLimit | undefined {
    return this.#limit;
  }

  /**
   * Starts watching the container whose first process, as the host sees
   * it, is `pid`. Limits that cannot be read are not watched.
   */
  async start(pid: number): Promise<void> {
    this.#pid = pid;
    if (this.#target.processes) {
      this.#pidsEvents = await pidsEventsPath(pid);
      if (this.#pidsEvents !== undefined) {
        // A fork bomb may be over before the first poll: look at once.
        await this.#checkProcesses();
        this.#schedule(() => this.#checkProcesses(), PIDS_POLL_MS);
      }
    }
    if (this.#watchesDisk()) {
      this.#schedule(() => this.#checkDisk(true), DISK_POLL_MS);
    }
  }

  /**
   * Stops watching, after one last measure of the workspace (the
   * container's tmpfs is gone by then).
   */
  async stop(): Promise<WatchedLimit | undefined> {
    this.#stopped = true;
    for (const timer of this.#timers) {
      clearTimeout(timer);
    }
    if (this.#limit === undefined && this.#watchesDisk()) {
      await this.#checkDisk(false).catch(() => undefined);
    }
    return this.#limit;
  }

  #schedule(check: () => Promise<number | undefined>, delayMs: number) {
    if (this.#stopped || this.#limit !== undefined) {
      return;
    }
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((each) => each !== timer);
      void check()
        .catch(() => undefined)
        .then((next) => this.#schedule(check, next ?? delayMs));
    }, delayMs);
    this.#timers.push(timer);
  }

  async #checkProcesses(): Promise<undefined> {
    if (this.#pidsEvents === undefined) {
      return;
    }
    // The container's cgroup is its own and new: any refusal is the task's.
    if ((await readRefusedForks(this.#pidsEvents)) > 0) {
      this.#reach('process-limit');
    }
  }

  #watchesDisk(): boolean {
    return (
      this.#target.diskBytes !== undefined || this.#target.files !== undefined
    );
  }

  /** Measures the disk used; returns the delay before the next measure. */
  async #checkDisk(withTmp: boolean): Promise<number> {
    const started = Date.now();
    const limit = this.#target.diskBytes ?? Number.POSITIVE_INFINITY;
    const maxFiles = this.#target.files ?? Number.POSITIVE_INFINITY;
    // Inputs count, as under every runner: the workspace is the task's.
    const workspace = await diskUsage(this.#target.workspace, maxFiles);
    let used = workspace.bytes;
    let files = workspace.files;
    let tmpFull = false;
    if (withTmp) {
      const tmp = await tmpfsUsage(this.#pid, this.#target.tmpPath);
      used += tmp.used;
      files += tmp.files;
      tmpFull = tmp.full;
    }
    if (used > limit || tmpFull) {
      this.#reach('disk-limit');
    } else if (files > maxFiles) {
      this.#reach('file-limit');
    }
    return Math.max(DISK_POLL_MS, (Date.now() - started) * DISK_POLL_SHARE);
  }

  #reach(limit: WatchedLimit): void {
    if (this.#limit === undefined && !this.#stopped) {
      this.#limit = limit;
      this.#onLimit(limit);
    }
  }
}

/**
 * The `pids.events` file of the cgroup that holds `pid`, found through
 * `/proc/<pid>/cgroup` so that any cgroup driver and version work.
 */
async function pidsEventsPath(pid: number): Promise<string | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const candidates: string[] = [];
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) {
      continue;
    }
    if (controllers.split(',').includes('pids')) {
      candidates.push(join('/sys/fs/cgroup/pids', path, 'pids.events'));
    } else if (controllers === '') {
      candidates.push(join('/sys/fs/cgroup', path, 'pids.events'));
      candidates.push(join('/sys/fs/cgroup/unified', path, 'pids.events'));
    }
  }
  for (const candidate of candidates) {
    if (
      await readRefusedForks(candidate).then(
        () => true,
        () => false,
      )
    ) {
      return candidate;
    }
  }
  return undefined;
}

/** The count of forks the pids controller refused (`max N`). */
async function readRefusedForks(path: string): Promise<number> {
  const text = await readFile(path, 'utf8');
  const match = /^max (\d+)$/m.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/**
 * What a container's tmpfs holds, read through the host's view of the
 * container's root. Reads as empty when it cannot be seen.
 */
async function tmpfsUsage(
  pid: number,
  path: string,
): Promise<{ used: number; files: number; full: boolean }> {
  try {
    const stats = await statfs(join(`/proc/${pid}/root`, path));
    return {
      used: (stats.blocks - stats.bfree) * stats.bsize,
      // The tmpfs's own root is an inode too.
      files: Math.max(stats.files - stats.ffree - 1, 0),
      full: stats.bfree === 0 || stats.ffree === 0,
    };
  } catch {
    return { used: 0, files: 0, full: false };
  }
}
