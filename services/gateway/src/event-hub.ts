import { Streams, Subjects } from '@river/protocol';
import {
  followSubject,
  type Logger,
  type RiverConnection,
} from '@river/protocol/internal';
import type { SequencedRecord } from '@river/run-view';
import { eventRecordOf } from './event-reader.js';

/**
 * Recent events kept in memory: a browser that reconnects within them
 * resumes from memory; one further behind reads the stream.
 */
export const DEFAULT_RECENT_EVENTS = 20_000;

/**
 * Every event stored from the gateway's start on, read by one follower
 * and shared by every live stream of every browser tab.
 */
export class EventHub {
  readonly #recent: SequencedRecord[] = [];
  readonly #capacity: number;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];
  /** Every decodable event at or after this sequence is in `#recent`. */
  #coveredFrom = 1;
  #following: Promise<void> = Promise.resolve();

  constructor(capacity = DEFAULT_RECENT_EVENTS) {
    this.#capacity = capacity;
  }

  /**
   * Starts following the events stream after its last stored event.
   *
   * @throws the stream look-up's error, such as a missing stream.
   */
  async start(connection: RiverConnection, log: Logger): Promise<void> {
    const info = await connection.jsm.streams.info(Streams.events);
    const lastSeq = info.state.last_seq;
    this.#coveredFrom = lastSeq + 1;
    this.#following = this.#follow(connection, lastSeq, log);
  }

  async #follow(
    connection: RiverConnection,
    afterSeq: number,
    log: Logger,
  ): Promise<void> {
    try {
      for await (const msg of followSubject(
        connection.js,
        Streams.events,
        Subjects.allEvents,
        this.#abort.signal,
        { afterSeq },
      )) {
        const event = eventRecordOf(msg.subject, msg.data);
        if (event === undefined) {
          log.warn(
            { subject: msg.subject, seq: msg.seq },
            'Skipped an event that does not match its schema',
          );
          continue;
        }
        this.#add({ seq: msg.seq, event });
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) {
        log.error(
          { subject: Subjects.allEvents, err: error },
          'Following the events stream failed',
        );
      }
    }
  }

  #add(record: SequencedRecord): void {
    this.#recent.push(record);
    if (this.#recent.length > this.#capacity) {
      const dropped = this.#recent.splice(
        0,
        this.#recent.length - this.#capacity,
      );
      const last = dropped.at(-1);
      if (last !== undefined) {
        this.#coveredFrom = last.seq + 1;
      }
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) {
      wake();
    }
  }

  /** The sequence of the newest event seen, or of the start point. */
  get latestSeq(): number {
    return this.#recent.at(-1)?.seq ?? this.#coveredFrom - 1;
  }

  /** The first sequence from which memory holds every event. */
  get coveredFrom(): number {
    return this.#coveredFrom;
  }

  /**
   * Up to `limit` events after sequence `afterSeq` from memory, or
   * `undefined` when some of them have left memory already (read the
   * stream instead).
   */
  after(afterSeq: number, limit: number): SequencedRecord[] | undefined {
    if (afterSeq + 1 < this.#coveredFrom) {
      return undefined;
    }
    const recent = this.#recent;
    let low = 0;
    let high = recent.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((recent[middle] as SequencedRecord).seq <= afterSeq) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return recent.slice(low, low + limit);
  }

  /**
   * Resolves when a new event arrives, after `timeoutMs`, or when `signal`
   * aborts, whichever comes first; true only for a new event.
   */
  next(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => done(true);
      const done = (arrived: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (!arrived) {
          this.#waiters = this.#waiters.filter((found) => found !== wake);
        }
        resolve(arrived);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal.addEventListener('abort', onAbort);
      this.#waiters.push(wake);
    });
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#following;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) {
      wake();
    }
  }
}
