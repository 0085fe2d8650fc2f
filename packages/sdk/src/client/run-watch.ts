import { Streams, Subjects } from '@river/protocol';
import {
  type FollowedMessage,
  type FollowStart,
  followSubject,
  type RiverConnection,
} from '@river/protocol/internal';
import { lostNats } from './errors.js';
import { decodeSequenced, type SequencedEvent } from './sequenced-event.js';

/**
 * How long after a run's last event a watch waits for the late events of
 * tasks that had not finished when the run did, before it gives up on
 * them: a cancelled run ends once its killed tasks report or after 10 s.
 */
export const LATE_EVENTS_WAIT_MS = 15_000;

/**
 * How long a watch of a finished run waits for the events its last
 * message said were stored after it, before it counts the run's stored
 * events itself rather than wait on that figure alone.
 */
const TRAILING_EVENTS_CHECK_MS = 2_000;

/** Options of {@link RiverClient.watch}. */
export interface WatchOptions {
  /**
   * True (the default): wait for new events until the run has finished
   * and nothing more is pending for it. False: stop once the events
   * stored so far have been read.
   */
  follow?: boolean;
  /**
   * Yield only events stored after this sequence: the `seq` of the last
   * event a previous watch yielded, to go on where it stopped.
   */
  afterSeq?: number;
  /**
   * How long after the run's last event to wait for tasks still running
   * when the run finished; {@link LATE_EVENTS_WAIT_MS} by default.
   */
  lateEventsWaitMs?: number;
  /**
   * When following a run that has no events yet, how long to wait for its
   * first before the run counts as unknown; unset, a watch waits for as
   * long as it takes (a run just submitted while no controller runs).
   */
  waitForRunMs?: number;
}

/**
 * What a watch knows of a run: whether it has finished, which of its
 * tasks have not, and when its last event happened.
 */
class RunProgress {
  finished = false;
  lastEventAt = 0;
  readonly #unfinishedTasks = new Set<string>();
  readonly #finishedTasks = new Set<string>();

  apply(event: SequencedEvent): void {
    this.lastEventAt = Math.max(this.lastEventAt, event.at);
    switch (event.type) {
      case 'task.requested':
        // A scheduler may answer a request from the cache before the
        // controller has recorded that it asked: that task is done.
        if (!this.#finishedTasks.has(event.taskId)) {
          this.#unfinishedTasks.add(event.taskId);
        }
        break;
      case 'task.finished':
        this.#finishedTasks.add(event.taskId);
        this.#unfinishedTasks.delete(event.taskId);
        break;
      case 'run.finished':
        this.finished = true;
        break;
    }
  }

  /** Whether events may still come: tasks requested but not finished. */
  get tasksPending(): boolean {
    return this.#unfinishedTasks.size > 0;
  }
}

/** How many events of a run the server holds. */
export async function countRunEvents(
  connection: RiverConnection,
  runId: string,
): Promise<number> {
  const info = await connection.jsm.streams.info(Streams.events, {
    subjects_filter: Subjects.runEvents(runId),
  });
  return Object.values(info.state.subjects ?? {}).reduce(
    (sum, count) => sum + count,
    0,
  );
}

/**
 * Follows one run's events, tagged with their sequences. It reads the
 * run's history from its first event even when resuming, so that it
 * knows which tasks are still pending, and yields only those after
 * `afterSeq`. It ends when the run has finished, every stored event has
 * been read, and no task of the run is still unfinished; a task that
 * never reports is waited for until `lateEventsWaitMs` after the run's
 * last event.
 */
export async function* watchRun(
  connection: RiverConnection,
  runId: string,
  options: WatchOptions = {},
  start: FollowStart & { signal?: AbortSignal } = {},
): AsyncGenerator<SequencedEvent> {
  const follow = options.follow !== false;
  const afterSeq = options.afterSeq ?? 0;
  const lateEventsWaitMs = options.lateEventsWaitMs ?? LATE_EVENTS_WAIT_MS;
  const abort = new AbortController();
  const { signal, ...from } = start;
  signal?.addEventListener('abort', () => abort.abort());
  // A consumer that is lost (a server restart, a cluster node gone) is
  // made again where it stopped.
  const messages = followSubject(
    connection.js,
    Streams.events,
    Subjects.runEvents(runId),
    abort.signal,
    from,
  );
  const progress = new RunProgress();
  let read = 0;
  try {
    for (;;) {
      let waitMs: number | undefined;
      if (progress.finished) {
        waitMs = progress.tasksPending
          ? Math.max(0, progress.lastEventAt + lateEventsWaitMs - Date.now())
          : TRAILING_EVENTS_CHECK_MS;
      }
      const result = await nextWithin(messages, waitMs);
      if (result?.done === true) {
        return;
      }
      if (result === undefined) {
        // The server's count of messages still to come, carried by the
        // last one, has been seen to stay above zero with none on the
        // way; what the stream holds decides.
        if (
          progress.tasksPending ||
          (await countRunEvents(connection, runId)) <= read
        ) {
          return;
        }
        continue;
      }
      read += 1;
      const msg = result.value;
      const event = decodeSequenced(msg.subject, msg.data, msg.seq);
      if (event !== undefined) {
        progress.apply(event);
        if (msg.seq > afterSeq) {
          yield event;
        }
      }
      const caughtUp = msg.pending === 0;
      if (
        caughtUp &&
        (!follow || (progress.finished && !progress.tasksPending))
      ) {
        return;
      }
    }
  } catch (error) {
    throw lostNats(
      error,
      `watching run ${runId}`,
      'The run goes on without the watch; a new watch ' +
        `(river watch ${runId}) takes it up again.`,
    );
  } finally {
    // Ends a wait for the next message, so that the follower can close.
    abort.abort();
    await messages.return(undefined);
  }
}

/**
 * Watches a run that has no event yet from its first: calls `submit` once
 * the watch will see every event stored, and resolves with the events.
 * On nats-server 2.9 this spares the server the scan of every run's
 * history that a watch of a run with events costs.
 *
 * @throws what `submit` throws, with the watch stopped.
 */
export async function watchNewRun(
  connection: RiverConnection,
  runId: string,
  options: WatchOptions,
  submit: () => Promise<void>,
): Promise<AsyncGenerator<SequencedEvent>> {
  const stop = new AbortController();
  let markFollowing: () => void = () => undefined;
  const following = new Promise<void>((resolve) => {
    markFollowing = resolve;
  });
  const events = watchRun(connection, runId, options, {
    newOnly: true,
    onFollowing: markFollowing,
    signal: stop.signal,
  });
  // Starts the watch, which waits for the run's first event from then on.
  const first = events.next();
  try {
    await Promise.race([
      following,
      first.then(() => {
        throw new Error(`The watch of run ${runId} ended before it began`);
      }),
    ]);
    await submit();
  } catch (error) {
    stop.abort();
    await first.catch(() => undefined);
    throw error;
  }
  const watched = startingWith(first, events);
  // A caller that stops before reading the first event never starts
  // `watched`, whose own clean-up would then not run: stop the watch here.
  const stopWatched = watched.return.bind(watched);
  watched.return = (value) => {
    stop.abort();
    return stopWatched(value);
  };
  return watched;
}

/** `rest`, after the result `first` it already gave. */
async function* startingWith<T>(
  first: Promise<IteratorResult<T>>,
  rest: AsyncGenerator<T>,
): AsyncGenerator<T> {
  try {
    const result = await first;
    if (result.done === true) {
      return;
    }
    yield result.value;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

/**
 * The follower's next message, or undefined when `waitMs` passes first
 * (no limit when it is undefined).
 */
async function nextWithin(
  messages: AsyncGenerator<FollowedMessage>,
  waitMs: number | undefined,
): Promise<IteratorResult<FollowedMessage> | undefined> {
  if (waitMs === undefined) {
    return messages.next();
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  try {
    return await Promise.race([messages.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
