import {
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
} from '@nats-io/jetstream';
import {
  decode,
  MessageDecodeError,
  type RunEvent,
  Streams,
  Subjects,
} from '@river/protocol';
import { FOLLOW_OPTIONS, type Logger } from '@river/protocol/internal';

/** The header JetStream deduplicates publishes by. */
const MSG_ID_HEADER = 'Nats-Msg-Id';

/** What a run's feed hands its driver. */
export interface RunFeedHandler {
  /** Every event of the run, in the order the stream holds them. */
  onEvent(event: RunEvent, msgId: string | undefined): void;
}

/**
 * Follows one run's events from the first one on, with an ordered
 * consumer: the history first, then every event as it is published. A
 * controller that takes a run over learns from the history what the run
 * already did, and the same feed then brings the outcomes of its tasks, in
 * the order they were recorded.
 */
export class RunFeed {
  readonly #messages: ConsumerMessages;
  readonly #done: Promise<void>;
  /** Resolves once every event published before the feed opened is read. */
  readonly caughtUp: Promise<number>;

  private constructor(
    messages: ConsumerMessages,
    runId: string,
    handler: RunFeedHandler,
    log: Logger,
  ) {
    this.#messages = messages;
    let markCaughtUp: (count: number) => void = () => undefined;
    this.caughtUp = new Promise((resolve) => {
      markCaughtUp = resolve;
    });
    let count = 0;
    this.#done = (async () => {
      for await (const msg of messages) {
        count++;
        try {
          handler.onEvent(
            decode('event', msg.subject, msg.data),
            msg.headers?.get(MSG_ID_HEADER) || undefined,
          );
        } catch (error) {
          if (!(error instanceof MessageDecodeError)) {
            throw error;
          }
          log.warn(
            { runId, subject: msg.subject, field: error.field, err: error },
            'Rejected malformed message',
          );
        }
        if (msg.info.pending === 0) {
          markCaughtUp(count);
        }
      }
    })();
  }

  /**
   * Opens the feed of a run whose history holds at least one event (the
   * controller publishes `run.submitted` before it opens the feed).
   */
  static async open(
    js: JetStreamClient,
    runId: string,
    handler: RunFeedHandler,
    log: Logger,
  ): Promise<RunFeed> {
    const consumer = await js.consumers.get(Streams.events, {
      filter_subjects: Subjects.runEvents(runId),
      deliver_policy: DeliverPolicy.All,
    });
    return new RunFeed(
      await consumer.consume(FOLLOW_OPTIONS),
      runId,
      handler,
      log,
    );
  }

  /** Stops following; resolves once the last event handed over is done. */
  async close(): Promise<void> {
    await this.#messages.close();
    await this.#done.catch(() => undefined);
  }
}
