import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { JobProcessOptions } from './job-processes.js';
import { LineReader } from './line-reader.js';
import { dataMbOf } from './process-memory.js';
import {
  type FromWorker,
  MAX_WORKER_MESSAGE_BYTES,
  type ToWorker,
  type WorkerData,
  type WorkerInit,
} from './worker-messages.js';

/** How much of a crashed process's stderr is kept to explain it. */
const STDERR_TAIL_CHARS = 4_096;

/** How long a job logic process has to load its bundle, past the stall limit. */
const LOAD_ALLOWANCE_MS = 10_000;

/** Limits of one run's job logic process. */
export interface JobWorkerLimits extends JobProcessOptions {
  /** How long job logic may keep its process busy without yielding. */
  stallLimitMs: number;
}

/** What the host reports to the run that owns it. */
export interface JobWorkerEvents {
  /** Every message but the watchdog's pongs. */
  onMessage(message: FromWorker): void;
  /** The process crashed, ran out of memory or CPU time, stalled or exited. */
  onFailure(reason: string): void;
}

/**
 * The controller's side of one run's job logic process (started by
 * `startJobProcess`, with the limits given here): relays
 * messages as lines of JSON over its stdin and stdout, and watches that
 * job logic keeps yielding. Whatever the job logic does, only its own
 * process fails: memory, CPU time and crashes stay on that side of the
 * process boundary.
 */
export class JobWorkerHost {
  readonly #child: ChildProcess;
  readonly #limits: JobWorkerLimits;
  readonly #events: JobWorkerEvents;
  #watchdog: NodeJS.Timeout | undefined;
  #loadDeadline: NodeJS.Timeout | undefined;
  #lastPongAt = Date.now();
  #stderrTail = '';
  #failed = false;
  #stopping = false;
  #exited: Promise<void>;

  constructor(
    child: ChildProcess,
    data: WorkerData,
    limits: JobWorkerLimits,
    events: JobWorkerEvents,
  ) {
    this.#limits = limits;
    this.#events = events;
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      this.#child.once('close', () => resolve());
    });

    const reader = new LineReader(MAX_WORKER_MESSAGE_BYTES, {
      line: (line) => this.#onLine(line),
      tooLong: () =>
        this.#fail(
          'job logic sent a message of more than ' +
            `${MAX_WORKER_MESSAGE_BYTES} bytes; it was stopped`,
        ),
    });
    this.#child.stdout?.on('data', (chunk: Buffer) => reader.push(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(
        -STDERR_TAIL_CHARS,
      );
    });
    // A process that died leaves its pipe closed: the exit says why.
    this.#child.stdin?.on('error', () => {});
    this.#child.on('error', (error) => {
      this.#fail(`job logic could not start: ${error.message}`);
    });
    this.#child.on('close', (code, signal) => {
      clearInterval(this.#watchdog);
      clearTimeout(this.#loadDeadline);
      if (!this.#stopping) {
        this.#fail(this.#exitReason(code, signal));
      }
    });

    this.#loadDeadline = setTimeout(() => {
      this.#fail(
        `job logic did not finish loading in ${this.#loadLimitMs()} ms; ` +
          'it was stopped',
      );
    }, this.#loadLimitMs());
    this.#loadDeadline.unref();
    const init: WorkerInit = { ...data, memoryLimitMb: limits.memoryLimitMb };
    this.#write(init);
  }

  /** The job logic process's id, while it runs. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Starts watching: job logic that never yields (an endless loop, even an
   * async one) blocks its process, and a process that misses its pongs for
   * the stall limit is reported as failed. Call it once the bundle has
   * loaded, so that a busy machine's slow process start does not count.
   */
  startWatchdog(): void {
    clearTimeout(this.#loadDeadline);
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
        this.#fail(this.#stallReason());
        return;
      }
      this.post({ type: 'ping' });
    }, every);
    this.#watchdog.unref();
  }

  /** Sends a message to the job logic. */
  post(message: ToWorker): void {
    this.#write(message);
  }

  /** Stops watching and ends the job logic process. */
  async terminate(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#watchdog);
    clearTimeout(this.#loadDeadline);
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
    }
    await this.#exited;
  }

  // Near its heap limit, V8 collects garbage again and again before it
  // gives up, and job logic stops answering: that is the memory limit,
  // not a loop, when the process holds that much.
  #stallReason(): string {
    const { stallLimitMs, memoryLimitMb } = this.#limits;
    const heldMb = dataMbOf(this.#child.pid);
    if (heldMb !== undefined && heldMb >= memoryLimitMb) {
      return (
        `job logic exceeded its memory limit of ${memoryLimitMb} MB ` +
        `(RIVER_RUN_MEMORY_MB): it held ${Math.round(heldMb)} MB and ` +
        `stopped answering for ${stallLimitMs} ms; it was stopped`
      );
    }
    return (
      `job logic did not yield for ${stallLimitMs} ms ` +
      '(an endless loop? RIVER_JOB_STALL_MS); it was stopped'
    );
  }

  #loadLimitMs(): number {
    return this.#limits.stallLimitMs + LOAD_ALLOWANCE_MS;
  }

  #write(message: ToWorker | WorkerInit): void {
    const stdin = this.#child.stdin;
    if (stdin?.writable) {
      stdin.write(`${JSON.stringify(message)}\n`);
    }
  }

  #onLine(line: string): void {
    let message: FromWorker;
    try {
      message = JSON.parse(line) as FromWorker;
    } catch {
      this.#fail('job logic sent a message that is not JSON; it was stopped');
      return;
    }
    if (message.type === 'pong') {
      this.#lastPongAt = Date.now();
    } else if (!this.#failed) {
      this.#events.onMessage(message);
    }
  }

  /** Reports one failure, the first, and ends the process. */
  #fail(reason: string): void {
    if (this.#failed || this.#stopping) {
      return;
    }
    this.#failed = true;
    this.#events.onFailure(reason);
    void this.terminate();
  }

  #exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    // bwrap reports its child's death by signal as 128 + the signal.
    const signalled =
      signal ?? (code !== null && code > 128 ? signalName(code - 128) : null);
    const { memoryLimitMb, cpuLimitMs } = this.#limits;
    if (signalled === 'SIGXCPU') {
      return (
        `job logic used up its CPU time limit of ${cpuLimitMs} ms ` +
        '(RIVER_RUN_CPU_MS); it was stopped'
      );
    }
    // V8 and Node's own allocations fail in these ways at the data limit.
    if (/out of memory|allocation failed|bad_alloc/i.test(this.#stderrTail)) {
      return (
        `job logic exceeded its memory limit of ${memoryLimitMb} MB ` +
        '(RIVER_RUN_MEMORY_MB); it was stopped'
      );
    }
    const last = crashLine(this.#stderrTail);
    return (
      `job logic stopped with ${signalled === null ? `exit code ${code}` : signalled}` +
      (last === undefined ? '' : `: ${last}`)
    );
  }
}

function signalName(number: number): string | null {
  const found = Object.entries(constants.signals).find(
    ([, value]) => value === number,
  );
  return found === undefined ? null : found[0];
}

/** The line of a crash report that says what happened. */
function crashLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^#\s*/, '').trim())
    .filter((line) => line !== '' && !/^\d+: 0x|^-+|^<-+/.test(line))
    // V8 heads its fatal errors with a line that names no cause.
    .filter((line) => !/^Fatal error in .*, line \d+$/.test(line));
  return lines.find((line) => /fatal|error/i.test(line)) ?? lines.at(-1);
}
