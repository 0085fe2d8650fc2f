import type { SequencedEvent } from '@river/sdk/client';
import { createLogUpdate } from 'log-update';
import { renderFrame } from './frame.js';
import { RunView } from './run-view.js';
import type { StatusDisplay } from './status-display.js';
import { summaryLines } from './summary.js';

/**
 * Shortest time between two redraws: a thousand tasks changing state at
 * once cost one frame per interval, not one per event.
 */
export const REDRAW_INTERVAL_MS = 100;

/** How often running durations move on while no event comes. */
const TICK_MS = 1_000;

/** Rows the frame leaves free, so the cursor's line never scrolls it. */
const SPARE_ROWS = 1;

/**
 * The tree of jobs and tasks on a terminal, redrawn in place at most
 * every {@link REDRAW_INTERVAL_MS}, fitted to the terminal's size; the
 * summary is printed below the last frame when the run ends.
 */
export class LiveStatus implements StatusDisplay {
  readonly view = new RunView();
  readonly #out: NodeJS.WriteStream;
  readonly #draw: ReturnType<typeof createLogUpdate>;
  #lastDrawAt = 0;
  #pending: NodeJS.Timeout | undefined;
  readonly #ticker: NodeJS.Timeout;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
    this.#draw = createLogUpdate(out);
    this.#ticker = setInterval(() => this.#redraw(), TICK_MS);
    this.#ticker.unref();
  }

  event(event: SequencedEvent): void {
    this.view.apply(event);
    if (this.#pending !== undefined) {
      return;
    }
    const wait = this.#lastDrawAt + REDRAW_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.#redraw();
    } else {
      this.#pending = setTimeout(() => this.#redraw(), wait);
    }
  }

  finish(): void {
    clearInterval(this.#ticker);
    if (this.view.runId === '') {
      // No event came (an unknown run): no tree and no summary to show.
      this.#draw.done();
      return;
    }
    this.#redraw();
    this.#draw.done();
    this.#out.write(`${summaryLines(this.view).join('\n')}\n`);
  }

  #redraw(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#lastDrawAt = Date.now();
    this.#draw(
      renderFrame(this.view, {
        width: this.#out.columns ?? 80,
        height: (this.#out.rows ?? 24) - SPARE_ROWS,
        now:
          this.view.finished === undefined ? Date.now() : this.view.lastEventAt,
      }),
    );
  }
}
