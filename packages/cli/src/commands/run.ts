import { setTimeout as delay } from 'node:timers/promises';
import type { RiverClient, SequencedEvent } from '@river/sdk/client';
import { type ShownRun, showRun } from '../render/show-run.js';
import { statusDisplay, statusMode } from '../render/status-display.js';
import { type CliConnection, connectOrStart } from './context.js';

/** How long an interrupted `river run` waits for its watch to stop. */
const STOP_WATCH_MS = 1_000;

/**
 * How long a run may go without its first event, which a controller
 * writes when it takes the run, before `river run` says why it waits.
 */
const UNTAKEN_NOTICE_MS = 5_000;

/** How `river run` and `river retry` show the run they follow. */
export interface FollowOptions {
  json: boolean;
  quiet: boolean;
}

/** Options of `river run`. */
export interface RunOptions extends FollowOptions {
  file: string;
  /** Parameter values as given on the command line. */
  params: Record<string, string>;
  /** Set for an untrusted run: the cache scope its results go to. */
  untrustedScope?: string | undefined;
  /** The run's priority; 0 unless set. */
  priority?: number | undefined;
}

/** A run a command submitted, watched from before its first event. */
export interface WatchedRun {
  runId: string;
  events: AsyncGenerator<SequencedEvent>;
}

/** What {@link followNewRun} submits and follows. */
export interface NewRun {
  /** What the run is, for messages: `the run of pipeline.ts`. */
  what: string;
  /** Submits it and starts watching it. */
  submit(client: RiverClient): Promise<WatchedRun>;
}

/**
 * `river run <file>`: bundles, submits and follows a run, showing its
 * progress as a live tree on a terminal and as a line per step elsewhere
 * (`--quiet`: failures and the summary; `--json`: event lines). Resolves
 * with the process exit code: 0 when the run
 * succeeded, 1 when it failed.
 */
export function runCommand(options: RunOptions): Promise<number> {
  const { file, params, untrustedScope, priority } = options;
  return followNewRun(options, connectOrStart, {
    what: `the run of ${file}`,
    submit: (client) =>
      client.submitAndWatch(file, {
        params,
        ...(untrustedScope === undefined ? {} : { untrustedScope }),
        ...(priority === undefined ? {} : { priority }),
      }),
  });
}

/**
 * Connects with `connect`, submits the run `run` and follows it until it
 * ends, as `river run` does, and stops it being followed on Ctrl-C.
 * Resolves with the exit code: 0 when the run succeeded, 1 when it
 * failed, 130 or 143 when interrupted.
 */
export async function followNewRun(
  options: FollowOptions,
  connect: (announce: (line: string) => void) => Promise<CliConnection>,
  run: NewRun,
): Promise<number> {
  const note = (line: string) => {
    if (!options.json) {
      process.stderr.write(`${line}\n`);
    }
  };
  const river = await connect(note);
  const interrupted = new Promise<number>((resolve) => {
    process.once('SIGINT', () => resolve(130));
    process.once('SIGTERM', () => resolve(143));
  });
  let watched: AsyncGenerator<SequencedEvent> | undefined;
  try {
    return await Promise.race([
      followRun(
        river.client,
        options,
        run,
        (line) =>
          // The embedded River's store goes with it: no hint to read it.
          river.stack === undefined || !line.includes('river logs')
            ? note(line)
            : undefined,
        (events) => {
          watched = events;
        },
      ),
      interrupted.then((code) => {
        note(
          river.stack === undefined
            ? 'Interrupted; the run goes on in River.'
            : 'Interrupted; stopping the embedded River.',
        );
        return code;
      }),
    ]);
  } finally {
    // An interrupted watch is stopped before the connection closes, so
    // that its consumer is deleted rather than left to the server.
    await Promise.race([watched?.return(undefined), delay(STOP_WATCH_MS)]);
    await river.close();
  }
}

async function followRun(
  client: RiverClient,
  options: FollowOptions,
  newRun: NewRun,
  note: (line: string) => void,
  watching: (events: AsyncGenerator<SequencedEvent>) => void,
): Promise<number> {
  // Until a controller takes the run there is nothing to show; without
  // a word, a user could not tell a missing River from a slow one. Told
  // on stderr even with --json, whose stdout stays events only.
  let runId: string | undefined;
  const untaken = setTimeout(() => {
    process.stderr.write(
      `No controller has taken ${newRun.what} after ` +
        `${UNTAKEN_NOTICE_MS / 1_000} s: is River running on this NATS ` +
        'server? The run starts when a controller takes it; Ctrl-C stops ' +
        `waiting${runId === undefined ? '' : ` (run ${runId} stays queued)`}.\n`,
    );
  }, UNTAKEN_NOTICE_MS);
  let shown: ShownRun;
  try {
    const run = await newRun.submit(client);
    runId = run.runId;
    watching(run.events);
    const mode = statusMode(options, process.stdout);
    shown = await showRun(
      onFirst(run.events, () => clearTimeout(untaken)),
      statusDisplay(mode, process.stdout),
    );
  } finally {
    clearTimeout(untaken);
  }
  if (shown.status === undefined) {
    throw new Error(
      'Lost the connection to NATS before the run finished; it may still ' +
        `be running. Follow it with: river watch ${runId}`,
    );
  }
  if (shown.status === 'failed' && !options.json) {
    note(
      `Run ${runId} failed. Logs: river logs ${runId}${
        shown.failedTask ? ` ${shown.failedTask}` : ''
      }`,
    );
  }
  return shown.status === 'succeeded' ? 0 : 1;
}

/** Passes `events` on, calling `first` when the first one arrives. */
async function* onFirst<T>(
  events: AsyncIterable<T>,
  first: () => void,
): AsyncGenerator<T> {
  let waiting = true;
  for await (const event of events) {
    if (waiting) {
      waiting = false;
      first();
    }
    yield event;
  }
}
