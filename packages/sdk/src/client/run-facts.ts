import {
  type FinalStatus,
  type RunEventOf,
  Streams,
  SUBJECT_PREFIX,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { decodeSequenced } from './sequenced-event.js';
import { readStoredEvents } from './stored-events.js';

/**
 * How long a filtered event stream waits for a run's `run.started` after
 * reading its `run.submitted`, which does not name the project.
 */
export const RUN_STARTED_WAIT_MS = 3_000;

/**
 * What decides whether a run passes the filters of
 * {@link RiverClient.events}: its project, from its `run.started`, and its
 * final status, from its `run.finished`. Filled from the stream once at
 * the start, then kept up to date from the events read.
 */
export class RunFacts {
  readonly #projects = new Map<string, string>();
  readonly #statuses = new Map<string, FinalStatus>();
  readonly #connection: RiverConnection;

  constructor(connection: RiverConnection) {
    this.#connection = connection;
  }

  /** The run's project, when its `run.started` has been seen. */
  project(runId: string): string | undefined {
    return this.#projects.get(runId);
  }

  /** The run's final status, when its `run.finished` has been seen. */
  status(runId: string): FinalStatus | undefined {
    return this.#statuses.get(runId);
  }

  /** Learns from an event read in the stream. */
  learn(event: { type: string; runId: string }): void {
    if (event.type === 'run.started') {
      const started = event as RunEventOf<'run.started'>;
      this.#projects.set(started.runId, started.project);
    } else if (event.type === 'run.finished') {
      const finished = event as RunEventOf<'run.finished'>;
      this.#statuses.set(finished.runId, finished.status);
    }
  }

  /** Reads every stored run's `run.started` or `run.finished`. */
  async load(type: 'run.started' | 'run.finished'): Promise<void> {
    // One message per run: each run publishes each of these once.
    for await (const event of readStoredEvents(
      this.#connection,
      `${SUBJECT_PREFIX}.events.*.${type}`,
      true,
    )) {
      this.learn(event);
    }
  }

  /**
   * Waits a little for a run's `run.started`, for a `run.submitted` read
   * before it was stored, and returns the run's project if it came.
   */
  async awaitProject(runId: string): Promise<string | undefined> {
    const consumer = await this.#connection.js.consumers.get(Streams.events, {
      filter_subjects: Subjects.event(runId, 'run.started'),
    });
    const msg = await consumer
      .next({ expires: RUN_STARTED_WAIT_MS })
      .catch(() => null);
    if (msg !== null) {
      const event = decodeSequenced(msg.subject, msg.data, msg.seq);
      if (event !== undefined) {
        this.learn(event);
      }
    }
    return this.project(runId);
  }
}
