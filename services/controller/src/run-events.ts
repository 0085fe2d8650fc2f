import type { JetStreamClient } from '@nats-io/jetstream';
import type { RunEventType } from '@river/protocol';
import { publishEvent } from '@river/protocol/internal';
import type { RunRecord } from './run-record.js';

/** Longest `ctx.log` message kept in an event. */
const MAX_LOG_MESSAGE_CHARS = 16_384;

/** How a job ended, as its final event says. */
export type JobEnding = 'succeeded' | 'failed' | 'skipped';

/**
 * Publishes one run's events, each unless the run's history already holds
 * it: a replay repeats its run's steps, and each step's event must appear
 * once.
 */
export class RunEvents {
  readonly #js: JetStreamClient;
  readonly #runId: string;
  readonly #record: RunRecord;
  readonly #logLines = new Map<string, number>();

  constructor(js: JetStreamClient, runId: string, record: RunRecord) {
    this.#js = js;
    this.#runId = runId;
    this.#record = record;
  }

  /** Publishes an event of the run under `msgId`, at `at` or now. */
  async publish<K extends RunEventType>(
    type: K,
    fields: Parameters<typeof publishEvent<K>>[3],
    msgId: string,
    at?: number,
  ): Promise<void> {
    if (this.#record.published(msgId)) {
      return;
    }
    await publishEvent(this.#js, this.#runId, type, fields, msgId, at);
  }

  /** Publishes a line job logic logged; '' is the project's top level. */
  async log(job: string, message: string): Promise<void> {
    // An event must stay far below the server's max_payload.
    const text =
      message.length > MAX_LOG_MESSAGE_CHARS
        ? `${message.slice(0, MAX_LOG_MESSAGE_CHARS)}… (${
            message.length - MAX_LOG_MESSAGE_CHARS
          } more characters cut)`
        : message;
    // Counted per job: a replay keeps each job's order, not the run's.
    const line = this.#logLines.get(job) ?? 0;
    this.#logLines.set(job, line + 1);
    await this.publish(
      'job.log',
      { job, message: text },
      `${this.#runId}.log.${job}.${line}`,
    );
  }

  /** Publishes a job's final event; `startedAt` 0 for a job never run. */
  async jobFinished(
    job: string,
    startedAt: number,
    status: JobEnding,
    error?: string,
  ): Promise<void> {
    await this.publish(
      'job.finished',
      {
        job,
        status,
        durationMs: startedAt === 0 ? 0 : Math.max(0, Date.now() - startedAt),
        ...(error === undefined ? {} : { error }),
      },
      `${this.#runId}.${job}.finished`,
    );
  }
}
