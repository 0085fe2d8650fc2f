import type { SequencedEvent } from '@river/sdk/client';
import { describeEvent, outcomeText } from '../format.js';
import { LiveStatus } from './live-status.js';
import { RunView } from './run-view.js';
import { failedTaskLines, summaryLines } from './summary.js';

/**
 * How a run's progress is shown: `live`, a tree redrawn in place on a
 * terminal; `lines`, a timestamped line per step (logs, pipes); `quiet`,
 * only failures and the summary; `json`, each event as a JSON line.
 */
export type StatusMode = 'live' | 'lines' | 'quiet' | 'json';

/** Shows a run's events as they come, then a summary. */
export interface StatusDisplay {
  /** Takes the next event. */
  event(event: SequencedEvent): void;
  /** The events have ended: print what is left and the summary. */
  finish(): void;
}

/**
 * The mode for the options given: a terminal gets the live tree, unless
 * `CI` is set (CI logs keep every line) or `TERM` is `dumb`.
 */
export function statusMode(
  options: { json: boolean; quiet: boolean },
  out: NodeJS.WriteStream,
): StatusMode {
  if (options.json) {
    return 'json';
  }
  if (options.quiet) {
    return 'quiet';
  }
  const dumb = process.env.TERM === 'dumb' || process.env.CI !== undefined;
  return out.isTTY === true && !dumb ? 'live' : 'lines';
}

/**
 * The display of `mode`, writing to `out`. A reader that goes away
 * (`river run … | head`) gets no more lines, and the run is still
 * followed to its end, whose status is the exit code.
 */
export function statusDisplay(
  mode: StatusMode,
  out: NodeJS.WriteStream,
): StatusDisplay {
  let readerGone = false;
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      throw error;
    }
    readerGone = true;
  });
  const print = (line: string) => {
    if (!readerGone) {
      out.write(`${line}\n`);
    }
  };
  switch (mode) {
    case 'live':
      return new LiveStatus(out);
    case 'json':
      return {
        event: (event) => print(JSON.stringify(event)),
        finish: () => undefined,
      };
    default:
      return new LineStatus(print, mode === 'quiet');
  }
}

/**
 * A line per step with its time, and a failed task's output tail under
 * it; quiet, only the run's id, failures and the summary.
 */
class LineStatus implements StatusDisplay {
  readonly view = new RunView();
  readonly #print: (line: string) => void;
  readonly #quiet: boolean;

  constructor(print: (line: string) => void, quiet: boolean) {
    this.#print = print;
    this.#quiet = quiet;
  }

  event(event: SequencedEvent): void {
    this.view.apply(event);
    const failed =
      event.type === 'task.finished' &&
      !event.outcome.ok &&
      event.outcome.reason !== 'cancelled';
    // Quiet still says why a job failed: not always because a task did.
    const jobFailed =
      event.type === 'job.finished' && event.status === 'failed';
    if (!this.#quiet || event.type === 'run.submitted' || jobFailed) {
      const line = describeEvent(event);
      if (line !== undefined) {
        this.#print(line);
      }
    } else if (failed) {
      this.#print(`  ✗ ${event.taskId} ${outcomeText(event)}`);
    }
    const task = failed ? this.view.tasks.get(event.taskId) : undefined;
    if (task !== undefined) {
      // The head line was printed above.
      for (const line of failedTaskLines(task).slice(1)) {
        this.#print(line);
      }
    }
  }

  finish(): void {
    for (const line of summaryLines(this.view, false)) {
      this.#print(line);
    }
  }
}
