import type { JetStreamClient } from '@nats-io/jetstream';
import {
  decode,
  MessageDecodeError,
  type RunEvent,
  Streams,
  Subjects,
} from '@river/protocol';
import {
  type FollowStart,
  followSubject,
  type Logger,
} from '@river/protocol/internal';

/** What a run's feed hands its driver. */
export interface RunFeedHandler {
  /** Every event of the run, in the order the stream holds them. */
  onEvent(event: RunEvent, msgId: string | undefined): void;
}

/**
 * Follows one run's events from the first one on: the history first, then
 * every event as it is published. A controller that takes a run over
 * learns from the history what the run already did, and the same feed then
 * brings the outcomes of its tasks, in the order they were recorded.
 */
export class RunFeed {
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;
  /**
   * Resolves, with the number of events read, once every event published
   * before the feed opened is read. The run's `run.submitted` is stored
   * before the feed opens, or (`newRun`) once it follows, so there is
   * always one.
   */
  readonly caughtUp: Promise<number>;
  /**
   * Resolves once the feed will see every event stored from then on;
   * rejects when it ends before.
   */
  readonly following: Promise<void>;

  /**
   * `newRun`: the run has no event yet; the feed reads from the next one
   * stored, which spares the server a scan of every run's history.
   */
  constructor(
    js: JetStreamClient,
    runId: string,
    handler: RunFeedHandler,
    log: Logger,
    newRun = false,
  ) {
    let markCaughtUp: (count: number) => void = () => undefined;
    this.caughtUp = new Promise((resolve) => {
      markCaughtUp = resolve;
    });
    let markFollowing: () => void = () => undefined;
    const following = new Promise<void>((resolve) => {
      markFollowing = resolve;
    });
    const start: FollowStart = { newOnly: newRun, onFollowing: markFollowing };
    let count = 0;
    const messages = followSubject(
      js,
      Streams.events,
      Subjects.runEvents(runId),
      this.#stop.signal,
      start,
    );
    this.#done = (async () => {
      for await (const msg of messages) {
        count++;
        try {
          handler.onEvent(decode('event', msg.subject, msg.data), msg.msgId);
        } catch (error) {
          if (!(error instanceof MessageDecodeError)) {
            throw error;
          }
          log.warn(
            { runId, subject: msg.subject, field: error.field, err: error },
            'Rejected malformed message',
          );
        }
        if (msg.pending === 0) {
          markCaughtUp(count);
        }
      }
    })();
    this.following = Promise.race([
      following,
      this.#done.then(() => {
        throw new Error(`The feed of run ${runId} ended before it began`);
      }),
    ]);
    // Read by whoever waits for it; a feed closed first is no failure.
    this.following.catch(() => undefined);
  }

  /** Stops following; resolves once the last event handed over is done. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#done.catch(() => undefined);
  }
}
