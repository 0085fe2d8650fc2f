import { encode, type LogStream, Subjects } from '@river/protocol';
import {
  type Logger,
  publishWithRetry,
  taskFields,
} from '@river/protocol/internal';
import type { JetStream } from './nats-types.js';

/** Largest piece of output one log chunk carries. */
export const LOG_CHUNK_MAX_BYTES = 64 * 1024;
/** Output waits at most this long before it is sent. */
export const LOG_FLUSH_INTERVAL_MS = 100;
/** Output held before the task's pipes are paused. */
const BACKLOG_HIGH_BYTES = 1024 * 1024;
/** Output held when reading resumes. */
const BACKLOG_LOW_BYTES = 256 * 1024;

/** The attempt a log belongs to. */
export interface LogAttempt {
  runId: string;
  taskId: string;
  attempt: number;
}

/**
 * Streams one attempt's output as log chunks, in order, each awaited.
 * Output is coalesced into chunks of at most {@link LOG_CHUNK_MAX_BYTES},
 * sent at least every {@link LOG_FLUSH_INTERVAL_MS}; one sequence counter
 * runs across stdout and stderr.
 */
export class LogPublisher {
  readonly #js: JetStream;
  readonly #attempt: LogAttempt;
  readonly #subject: string;
  readonly #log: Logger;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingStream: LogStream = 'stdout';
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #sending: Promise<void> = Promise.resolve();
  #unsentBytes = 0;
  #drainWaiters: Array<() => void> = [];
  #finished = false;

  constructor(js: JetStream, attempt: LogAttempt, log: Logger) {
    this.#js = js;
    this.#attempt = attempt;
    this.#subject = Subjects.logChunk(attempt.runId, attempt.taskId);
    this.#log = log;
  }

  /**
   * Adds output. Returns false when too much is waiting to be sent; the
   * caller should stop reading until {@link drained} resolves.
   */
  write(stream: LogStream, data: Buffer): boolean {
    if (this.#finished || data.length === 0) {
      return true;
    }
    if (this.#pendingBytes > 0 && stream !== this.#pendingStream) {
      this.#flush(false);
    }

    this.#pendingStream = stream;
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    this.#unsentBytes += data.length;
    if (this.#pendingBytes >= LOG_CHUNK_MAX_BYTES) {
      this.#flushFullChunks();
    }
    if (this.#pendingBytes > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush(false), LOG_FLUSH_INTERVAL_MS);
    }
    return this.#unsentBytes < BACKLOG_HIGH_BYTES;
  }

  /** Resolves once the backlog is small enough to read again. */
  drained(): Promise<void> {
    if (this.#unsentBytes <= BACKLOG_LOW_BYTES) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Sends what is left with `last` set on the final chunk (empty when
   * nothing is left) and waits until every chunk was acknowledged.
   */
  async finish(): Promise<void> {
    if (!this.#finished) {
      this.#finished = true;
      this.#flush(true);
    }
    await this.#sending;
  }

  #flushFullChunks(): void {
    const all = Buffer.concat(this.#pending);
    let offset = 0;
    while (all.length - offset >= LOG_CHUNK_MAX_BYTES) {
      const end = offset + LOG_CHUNK_MAX_BYTES;
      this.#send(this.#pendingStream, all.subarray(offset, end), false);
      offset = end;
    }
    const rest = all.subarray(offset);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
  }

  #flush(last: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pendingBytes === 0 && !last) {
      return;
    }
    this.#flushFullChunks();
    if (this.#pendingBytes > 0 || last) {
      this.#send(this.#pendingStream, Buffer.concat(this.#pending), last);
    }
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #send(stream: LogStream, data: Buffer, last: boolean): void {
    const seq = this.#seq++;
    const { runId, taskId, attempt } = this.#attempt;
    const bytes = encode('logChunk', {
      schema: 1,
      runId,
      taskId,
      attempt,
      seq,
      stream,
      data,
      last,
    });
    const msgID = `${runId}.${taskId}.${attempt}.log.${seq}`;

    this.#sending = this.#sending
      .then(() => publishWithRetry(this.#js, this.#subject, bytes, msgID))
      .catch((error: unknown) => {
        // A lost chunk leaves a gap the log-collector reports; the task
        // itself goes on.
        this.#log.error(
          {
            ...taskFields(this.#attempt),
            subject: this.#subject,
            seq,
            err: error,
          },
          'Dropped a log chunk that could not be published',
        );
      })
      .finally(() => this.#sent(data.length));
  }

  #sent(bytes: number): void {
    this.#unsentBytes -= bytes;
    if (this.#unsentBytes <= BACKLOG_LOW_BYTES) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) {
        resolve();
      }
    }
  }
}
