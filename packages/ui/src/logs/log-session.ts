/**
 * One open log: which lines are fetched, which are on their way, and the
 * tail poll that follows a log still being written. The view tells it the
 * lines it shows; it fetches the blocks they need and nothing else.
 */

import { LineStore } from './line-store.js';
import {
  fetchLogLines,
  fetchLogTail,
  type LogPage,
  type LogTarget,
} from './log-api.js';

/** Poll delay while the last poll brought new lines. */
export const TAIL_POLL_FAST_MS = 100;

/** Poll delay while the log is quiet. */
export const TAIL_POLL_QUIET_MS = 300;

/** How long a block whose fetch failed is left alone. */
const RETRY_FAILED_BLOCK_MS = 2_000;

/** The fetched state of a task attempt's log. */
export class LogSession {
  readonly store = new LineStore();
  /** Lines in the log as last reported; `undefined` before any answer. */
  totalLines: number | undefined;
  /** The attempt has finished and its log is stored whole. */
  complete = false;
  /** The attempt shown: the asked one, or the last as first answered. */
  attempt: number | undefined;
  /** The last request's failure, cleared by the next success. */
  error: string | undefined;

  private readonly target: LogTarget;
  private readonly onChange: () => void;
  private readonly inFlight = new Map<number, AbortController>();
  /** Per block, the total when it was last fetched: no refetch loops. */
  private readonly fetchedAtTotal = new Map<number, number>();
  private readonly failedAt = new Map<number, number>();
  private tailLines = 1;
  private polling = false;
  private pollAbort: AbortController | undefined;
  private wakePoll: (() => void) | undefined;
  private closed = false;

  constructor(target: LogTarget, onChange: () => void) {
    this.target = { ...target };
    this.attempt = target.attempt;
    this.onChange = onChange;
  }

  /**
   * The view shows lines `first` to `last`: fetch the blocks they miss
   * and abandon the fetches of blocks no longer shown.
   */
  show(first: number, last: number): void {
    if (this.closed) {
      return;
    }
    const end = Math.min(last, this.totalLines ?? last);
    const wanted = new Set(this.store.missingBlocks(first, end));
    for (const [block, controller] of this.inFlight) {
      if (!wanted.has(block)) {
        controller.abort();
        this.inFlight.delete(block);
      }
    }
    for (const block of wanted) {
      if (!this.inFlight.has(block) && this.mayFetch(block)) {
        void this.fetchBlock(block);
      }
    }
  }

  /**
   * Keep polling the tail while the log is being written; `lines` is how
   * many of the last lines each poll brings (the view's height while it
   * follows, one otherwise, which only tells the log's growth).
   */
  follow(lines: number): void {
    const grew = lines > this.tailLines;
    this.tailLines = Math.max(1, lines);
    if (grew) {
      this.wakePoll?.();
    }
    if (!this.polling && this.totalLines !== undefined && !this.complete) {
      void this.poll();
    }
  }

  /** Stop every request; the session is done. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight.values()) {
      controller.abort();
    }
    this.inFlight.clear();
    this.pollAbort?.abort();
    this.wakePoll?.();
  }

  /** Lines being fetched now, for tests and the status line. */
  get pendingBlocks(): number {
    return this.inFlight.size;
  }

  private mayFetch(block: number): boolean {
    const failed = this.failedAt.get(block);
    if (failed !== undefined && Date.now() - failed < RETRY_FAILED_BLOCK_MS) {
      return false;
    }
    const total = this.fetchedAtTotal.get(block);
    return !(this.store.has(block) && total === this.totalLines);
  }

  private async fetchBlock(block: number): Promise<void> {
    const controller = new AbortController();
    this.inFlight.set(block, controller);
    const first = this.store.firstLineOf(block);
    try {
      const page = await fetchLogLines(
        this.pinnedTarget(),
        first,
        this.store.blockLines,
        controller.signal,
      );
      this.failedAt.delete(block);
      this.accept(page);
      this.fetchedAtTotal.set(block, this.totalLines ?? 0);
    } catch (error) {
      if (!controller.signal.aborted) {
        this.failedAt.set(block, Date.now());
        this.fail(error);
        this.retryFirstAnswer(first);
      }
    } finally {
      if (this.inFlight.get(block) === controller) {
        this.inFlight.delete(block);
      }
    }
    if (!this.closed) {
      this.onChange();
    }
  }

  /**
   * Nothing shows until a first answer tells the log's size, so a failed
   * first fetch (the attempt has not written yet) is tried again.
   */
  private retryFirstAnswer(first: number): void {
    if (this.totalLines !== undefined) {
      return;
    }
    setTimeout(() => {
      if (!this.closed && this.totalLines === undefined) {
        this.show(first, first + this.store.blockLines - 1);
      }
    }, RETRY_FAILED_BLOCK_MS + 50);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    while (!this.closed && !this.complete) {
      const before = this.totalLines ?? 0;
      const controller = new AbortController();
      this.pollAbort = controller;
      try {
        const page = await fetchLogTail(
          this.pinnedTarget(),
          this.tailLines,
          controller.signal,
        );
        this.accept(page);
        this.onChange();
      } catch (error) {
        if (this.closed) {
          break;
        }
        this.fail(error);
        this.onChange();
      }
      const grew = (this.totalLines ?? 0) > before;
      await this.sleep(grew ? TAIL_POLL_FAST_MS : TAIL_POLL_QUIET_MS);
    }
    this.polling = false;
  }

  private accept(page: LogPage): void {
    if (this.closed) {
      return;
    }
    this.attempt ??= page.attempt;
    this.error = undefined;
    if (page.complete) {
      this.complete = true;
      this.totalLines = page.totalLines;
    } else if (!this.complete) {
      this.totalLines = Math.max(this.totalLines ?? 0, page.totalLines);
    }
    this.store.put(page.firstLine, page.lines);
  }

  private fail(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
  }

  /** Later requests name the attempt the first answer was about. */
  private pinnedTarget(): LogTarget {
    return { ...this.target, attempt: this.attempt };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakePoll = done;
    });
  }
}
