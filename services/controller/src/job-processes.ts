import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type JobProcessLimits,
  type JobSandbox,
  jobProcessCommand,
} from './job-sandbox.js';

const WORKER_PATH = realpathSync(
  fileURLToPath(new URL('./job-worker.js', import.meta.url)),
);

// The job logic process loads only the realm's own module, not the
// whole internal entry with its NATS clients: half a second and 35 MB
// less per run.
const REALM_PATH = realpathSync(
  fileURLToPath(
    new URL('./job-realm.js', import.meta.resolve('@river/protocol/internal')),
  ),
);

/** What a job logic process is started with; the same for every run. */
export interface JobProcessOptions extends JobProcessLimits {
  /** How the process is confined beyond Node's permission model. */
  sandbox: JobSandbox;
}

/**
 * Starts one job logic process (see `jobProcessCommand`). It waits for
 * its run on stdin and exits when stdin ends.
 */
export function startJobProcess(limits: JobProcessOptions): ChildProcess {
  const { command, args } = jobProcessCommand(
    [WORKER_PATH, REALM_PATH],
    // The realm's module imports a sibling of its directory.
    [`${dirname(WORKER_PATH)}/`, `${dirname(dirname(REALM_PATH))}/`],
    limits,
    limits.sandbox,
  );
  const child = spawn(command, args, {
    env: {},
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A spare may fail before a run takes it; `take` then starts another,
  // and a run's own host listens for errors from then on.
  child.on('error', () => {});
  return child;
}

/**
 * Keeps one job logic process started ahead of the next run, so that a
 * run waits only for its bundle to load, not for Node and bubblewrap to
 * start (about 60 ms on two cores). Each process serves one run; the
 * spare costs the memory of an idle Node process.
 */
export class JobProcesses {
  readonly #limits: JobProcessOptions;
  #spare: ChildProcess | undefined;
  #closed = false;

  constructor(limits: JobProcessOptions) {
    this.#limits = limits;
    this.#refill();
  }

  /** The process id of the spare waiting now, if one is. */
  get sparePid(): number | undefined {
    return this.#spare?.pid;
  }

  /** A started process for one run: the spare if it is still alive. */
  take(): ChildProcess {
    const spare = this.#spare;
    this.#spare = undefined;
    const alive =
      spare?.pid !== undefined &&
      spare.exitCode === null &&
      spare.signalCode === null;
    if (spare !== undefined && !alive) {
      spare.kill('SIGKILL');
    }
    setImmediate(() => this.#refill());
    return alive ? spare : startJobProcess(this.#limits);
  }

  /** Ends the spare; no more are started. */
  close(): void {
    this.#closed = true;
    this.#spare?.kill('SIGKILL');
    this.#spare = undefined;
  }

  #refill(): void {
    if (!this.#closed && this.#spare === undefined) {
      this.#spare = startJobProcess(this.#limits);
    }
  }
}
