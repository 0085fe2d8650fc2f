import type { FinalStatus } from '@river/protocol';
import { Streams, Subjects } from '@river/protocol';
import { followSubject, type RiverConnection } from '@river/protocol/internal';
import { lostNats } from './errors.js';
import { RunFacts } from './run-facts.js';
import { decodeSequenced, type SequencedEvent } from './sequenced-event.js';

/**
 * How far before the call a submission counts as live, so that its run
 * may still start: clocks of client and controller differ a little.
 */
const LIVE_MARGIN_MS = 10_000;

/** Where the follower starts: after a sequence or at a time. */
type FollowStart = NonNullable<Parameters<typeof followSubject>[4]>;

/** Options of {@link RiverClient.events}. */
export interface EventsOptions {
  /**
   * Only events of runs of this project (the name it declares). While
   * following, a new run's `run.submitted` waits up to
   * {@link RUN_STARTED_WAIT_MS} for the `run.started` that names it.
   */
  project?: string;
  /**
   * Only events of runs that finished with this status. While following,
   * a run still going is skipped until its `run.finished`.
   */
  status?: FinalStatus;
  /**
   * Start at the first event stored at or after this time (a Date or
   * milliseconds since the epoch); ignored when `afterSeq` is given.
   */
  since?: Date | number;
  /** Start after this sequence: the `seq` of the last event seen. */
  afterSeq?: number;
  /**
   * False (the default): stop once the events stored when the call began
   * have been read. True: then wait for new ones until the caller stops.
   */
  follow?: boolean;
}

/**
 * Reads every run's events in stream order, tagged with their sequences,
 * keeping those of runs that pass the filters. A run's project comes from
 * its `run.started` and its status from its `run.finished`; both are read
 * for every stored run when the call begins, so on stored history the
 * filters are exact. On events that arrive while following:
 *
 * - `project`: a run's `run.submitted` comes before the `run.started`
 *   that names its project, so it is held for at most
 *   {@link RUN_STARTED_WAIT_MS} while the stream waits for that event; a
 *   run that never starts (a project file that does not load) has no
 *   project and never passes.
 * - `status`: a run still going has no status yet, so its events are
 *   skipped until its `run.finished`, which is yielded when it matches,
 *   with any later event of that run. Watch such a run with
 *   {@link RiverClient.watch} to read the rest of its history.
 */
export async function* streamEvents(
  connection: RiverConnection,
  options: EventsOptions = {},
): AsyncGenerator<SequencedEvent> {
  const start = startOf(options);
  const info = await connection.jsm.streams.info(Streams.events);
  const lastSeq = info.state.last_seq;
  if (options.follow !== true && nothingAfter(info.state, start)) {
    return;
  }

  // Runs submitted before this may wait for their start no longer: the
  // start of every stored run was read below.
  const liveAfter = Date.now() - LIVE_MARGIN_MS;
  const facts = new RunFacts(connection);
  if (options.project !== undefined) {
    await facts.load('run.started');
  }
  if (options.status !== undefined) {
    await facts.load('run.finished');
  }

  const abort = new AbortController();
  const messages = followSubject(
    connection.js,
    Streams.events,
    Subjects.allEvents,
    abort.signal,
    start,
  );
  try {
    for await (const msg of messages) {
      const event = decodeSequenced(msg.subject, msg.data, msg.seq);
      if (event !== undefined) {
        facts.learn(event);
        if (await passes(event, facts, options, liveAfter)) {
          yield event;
        }
      }
      if (
        options.follow !== true &&
        (msg.pending === 0 || msg.seq >= lastSeq)
      ) {
        return;
      }
    }
  } catch (error) {
    throw lostNats(
      error,
      'reading events',
      'A new read after the last sequence seen (afterSeq; river events ' +
        '--after-seq) goes on where this one stopped.',
    );
  } finally {
    abort.abort();
    await messages.return(undefined);
  }
}

/** Where reading starts: after a sequence, else at a time, else first. */
function startOf(options: EventsOptions): FollowStart {
  if (options.afterSeq !== undefined) {
    return { afterSeq: options.afterSeq };
  }
  if (options.since !== undefined) {
    return { startTime: new Date(options.since) };
  }
  return {};
}

/** Whether the stream holds no event where reading would start. */
function nothingAfter(
  state: { messages: number; last_seq: number; last_ts: string },
  start: FollowStart,
): boolean {
  if (state.messages === 0) {
    return true;
  }
  if (start.afterSeq !== undefined) {
    return state.last_seq <= start.afterSeq;
  }
  if (start.startTime !== undefined) {
    return Date.parse(state.last_ts) < start.startTime.getTime();
  }
  return false;
}

/** Whether an event's run passes the filters, as far as is known. */
async function passes(
  event: SequencedEvent,
  facts: RunFacts,
  options: EventsOptions,
  liveAfter: number,
): Promise<boolean> {
  if (options.project !== undefined) {
    let project = facts.project(event.runId);
    if (
      project === undefined &&
      event.type === 'run.submitted' &&
      event.at >= liveAfter
    ) {
      project = await facts.awaitProject(event.runId);
    }
    if (project !== options.project) {
      return false;
    }
  }
  if (options.status !== undefined) {
    return facts.status(event.runId) === options.status;
  }
  return true;
}
