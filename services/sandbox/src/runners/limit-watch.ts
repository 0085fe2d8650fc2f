import type { TaskCgroup } from './cgroup-files.js';
import { diskUsage } from './disk-usage.js';
import type { LimitReason } from './limits.js';

/** How often the kernel's counts of a task's control group are read. */
export const CGROUP_POLL_MS = 100;
/** How often, at most, a task's workspace is measured. */
export const DISK_POLL_MS = 1_000;
/**
 * A workspace walk may take at most this share of the time between two
 * walks, so that a workspace of many files does not keep a core busy.
 */
const DISK_WALK_SHARE = 10;

/** What a {@link LimitWatch} watches. */
export interface LimitWatchTarget {
  /** The task's control group, whose counts tell memory and process use. */
  cgroup?: TaskCgroup;
  /** The workspace, whose size counts against the disk limit. */
  workspace: string;
  /** The disk limit in bytes; undefined watches no disk. */
  diskBytes?: number;
  /** The limit on files and directories in the workspace, if any. */
  files?: number;
}

/**
 * Watches a running task's use against its limits, and calls `onBreach`
 * once, the first time a limit is found exceeded: the kernel's OOM kills
 * and refused forks in the task's control group, and the size of its
 * workspace.
 */
export class LimitWatch {
  readonly #target: LimitWatchTarget;
  readonly #onBreach: (reason: LimitReason) => void;
  #breach: LimitReason | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  #checks = new Set<Promise<void>>();

  constructor(
    target: LimitWatchTarget,
    onBreach: (reason: LimitReason) => void,
  ) {
    this.#target = target;
    this.#onBreach = onBreach;
  }

  /** The first limit found exceeded, if any. */
  get breach(): LimitReason | undefined {
    return this.#breach;
  }

  /** Starts polling. */
  start(): void {
    if (this.#target.cgroup !== undefined) {
      this.#every(CGROUP_POLL_MS, () => this.#checkCgroup());
    }
    if (this.#watchesDisk()) {
      this.#schedule(DISK_POLL_MS, () => this.#checkDisk());
    }
  }

  /**
   * Stops polling and checks once more, for a limit exceeded since the
   * last poll (a task the OOM killer ended, a file cut short by the size
   * limit). Returns the first limit exceeded, if any.
   */
  async stop(): Promise<LimitReason | undefined> {
    this.#stopped = true;
    for (const timer of this.#timers) {
      clearTimeout(timer);
    }
    await Promise.all(this.#checks);
    await this.#checkCgroup();
    if (this.#watchesDisk()) {
      await this.#checkDisk();
    }
    return this.#breach;
  }

  #every(intervalMs: number, check: () => Promise<unknown>): void {
    this.#schedule(intervalMs, async () => {
      await check();
      return intervalMs;
    });
  }

  /** Runs `check` after `delayMs`, then again after what it returns. */
  #schedule(delayMs: number, check: () => Promise<number>): void {
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((other) => other !== timer);
      if (this.#stopped || this.#breach !== undefined) {
        return;
      }
      const running: Promise<void> = check().then(
        (next): void => {
          this.#checks.delete(running);
          if (!this.#stopped && this.#breach === undefined) {
            this.#schedule(next, check);
          }
        },
        (): void => {
          this.#checks.delete(running);
        },
      );
      this.#checks.add(running);
    }, delayMs);
    this.#timers.push(timer);
  }

  async #checkCgroup(): Promise<void> {
    const found = await this.#target.cgroup?.breach();
    if (found !== undefined) {
      this.#found(found);
    }
  }

  #watchesDisk(): boolean {
    return (
      this.#target.diskBytes !== undefined || this.#target.files !== undefined
    );
  }

  /** Measures the workspace; returns when to measure it next. */
  async #checkDisk(): Promise<number> {
    const started = Date.now();
    const maxFiles = this.#target.files ?? Number.POSITIVE_INFINITY;
    const used = await diskUsage(this.#target.workspace, maxFiles);
    if (used.bytes > (this.#target.diskBytes ?? Number.POSITIVE_INFINITY)) {
      this.#found('disk-limit');
    } else if (used.files > maxFiles) {
      this.#found('file-limit');
    }
    return Math.max(DISK_POLL_MS, (Date.now() - started) * DISK_WALK_SHARE);
  }

  #found(reason: LimitReason): void {
    if (this.#breach !== undefined) {
      return;
    }
    this.#breach = reason;
    this.#onBreach(reason);
  }
}
