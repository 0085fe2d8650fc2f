import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

const WORKER_URL = new URL('./job-worker.js', import.meta.url);

/** Limits of one run's job worker. */
export interface JobWorkerLimits {
  /** Heap limit of the job logic. */
  memoryLimitMb: number;
  /** How long job logic may keep its thread busy without yielding. */
  stallLimitMs: number;
}

/** What the host reports to the run that owns it. */
export interface JobWorkerEvents {
  /** Every message but the watchdog's pongs. */
  onMessage(message: FromWorker): void;
  /** The worker crashed, ran out of memory, stalled or exited. */
  onFailure(reason: string): void;
}

/**
 * The controller's side of one run's job worker: starts the worker thread
 * with its limits, relays messages, and watches that job logic keeps
 * yielding.
 */
export class JobWorkerHost {
  readonly #worker: Worker;
  readonly #limits: JobWorkerLimits;
  readonly #events: JobWorkerEvents;
  #watchdog: NodeJS.Timeout | undefined;
  #lastPongAt = Date.now();

  constructor(
    data: WorkerData,
    limits: JobWorkerLimits,
    events: JobWorkerEvents,
  ) {
    this.#limits = limits;
    this.#events = events;
    this.#worker = new Worker(WORKER_URL, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryLimitMb },
      env: {},
      stdout: true,
      stderr: true,
    });
    this.#worker.on('message', (message: FromWorker) => {
      if (message.type === 'pong') {
        this.#lastPongAt = Date.now();
      } else {
        events.onMessage(message);
      }
    });
    this.#worker.on('error', (error) => {
      events.onFailure(
        (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `job logic exceeded its memory limit of ${limits.memoryLimitMb} MB`
          : `job logic crashed: ${error.message}`,
      );
    });
    this.#worker.on('exit', (code) => {
      events.onFailure(`job logic stopped with exit code ${code}`);
    });
  }

  /**
   * Starts watching: job logic that never yields (an endless loop, even an
   * async one) blocks its worker, and a worker that misses its pongs for
   * the stall limit is reported as failed. Call it once the bundle has
   * loaded, so that a busy machine's slow worker start does not count.
   */
  startWatchdog(): void {
    const { stallLimitMs } = this.#limits;
    const every = Math.max(50, Math.floor(stallLimitMs / 4));
    this.#lastPongAt = Date.now();
    let lastTickAt = Date.now();
    this.#watchdog = setInterval(() => {
      const now = Date.now();
      // A late tick means the controller itself was held up (paused,
      // swapped out): the job logic had no chance to answer.
      if (now - lastTickAt > every * 3) {
        this.#lastPongAt = now;
      }
      lastTickAt = now;
      if (now - this.#lastPongAt > stallLimitMs) {
        this.#events.onFailure(
          `job logic did not yield for ${stallLimitMs} ms ` +
            '(an endless loop?); it was stopped',
        );
        return;
      }
      this.post({ type: 'ping' });
    }, every);
    this.#watchdog.unref();
  }

  /** Sends a message to the job logic. */
  post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  /** Stops watching and ends the worker thread. */
  async terminate(): Promise<void> {
    clearInterval(this.#watchdog);
    await this.#worker.terminate();
  }
}
