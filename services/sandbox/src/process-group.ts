import { delay } from '@river/protocol/internal';
import { livingProcesses } from './proc-table.js';

/** Time between SIGTERM and SIGKILL for a task's process group. */
export const KILL_GRACE_MS = 2_000;
/** How often a terminating group is checked for survivors. */
const GROUP_POLL_MS = 25;

/** Groups of tasks still running in this process, for an abrupt exit. */
const liveGroups = new Set<ProcessGroup>();

/**
 * Sends SIGKILL to every task process group still running. Synchronous, so
 * it may run in a process `exit` handler: a sandbox that exits abruptly
 * leaves no task processes behind.
 */
export function killAllTaskGroups(): void {
  for (const group of liveGroups) {
    group.kill();
  }
}

/**
 * The process group of one task: its first process was spawned detached,
 * so the group id is that process's pid and every descendant that did not
 * leave the group can be signalled at once.
 */
export class ProcessGroup {
  readonly #pgid: number;
  #killAt: number | undefined;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(pgid: number) {
    this.#pgid = pgid;
    liveGroups.add(this);
  }

  /** Sends SIGKILL to the whole group at once. */
  kill(): void {
    this.#signal('SIGKILL');
  }

  /**
   * Sends SIGTERM to the whole group and SIGKILL {@link KILL_GRACE_MS}
   * later. Calling it again does not restart the grace period.
   */
  terminate(): void {
    if (this.#killAt !== undefined) {
      return;
    }
    this.#signal('SIGTERM');
    this.killLater(KILL_GRACE_MS);
  }

  /**
   * Sends SIGKILL to the whole group `ms` from now, for a runner that
   * asked the processes to stop in its own way. Does nothing when a kill
   * is already planned.
   */
  killLater(ms: number): void {
    if (this.#killAt !== undefined) {
      return;
    }
    this.#killAt = Date.now() + ms;
    this.#killTimer = setTimeout(() => this.#signal('SIGKILL'), ms);
  }

  /**
   * Ends every process left in the group: those that outlive SIGTERM past
   * the grace period get SIGKILL. Resolves once the group is empty or was
   * sent SIGKILL.
   */
  async settle(): Promise<void> {
    if (await this.#alive()) {
      this.terminate();
      while (Date.now() < (this.#killAt ?? 0) && (await this.#alive())) {
        await delay(GROUP_POLL_MS);
      }
      this.#signal('SIGKILL');
    }
    clearTimeout(this.#killTimer);
    liveGroups.delete(this);
  }

  /** Whether a process of the group still runs; zombies do not count. */
  async #alive(): Promise<boolean> {
    if (!this.#signal(0)) {
      return false;
    }
    // Orphans that died are reaped by pid 1, which in some containers
    // takes seconds; until then they would make the group look alive.
    try {
      return await hasLivingMember(this.#pgid);
    } catch {
      return true;
    }
  }

  #signal(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.#pgid, signal);
      return true;
    } catch {
      // ESRCH: the group is gone.
      return false;
    }
  }
}

/**
 * Whether /proc lists a process of group `pgid` that is not a zombie.
 *
 * @throws when /proc cannot be read, for example off Linux.
 */
async function hasLivingMember(pgid: number): Promise<boolean> {
  const processes = await livingProcesses();
  return processes.some((member) => member.pgid === pgid);
}
