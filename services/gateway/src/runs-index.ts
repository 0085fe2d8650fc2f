import { Streams, Subjects } from '@river/protocol';
import {
  followSubject,
  type Logger,
  type RiverConnection,
} from '@river/protocol/internal';
import {
  foldSummary,
  type RunStatus,
  type RunSummary,
  type SequencedRecord,
} from '@river/run-view';
import { eventRecordOf, readEventRange } from './event-reader.js';

/** Every `run.*` event of every run. */
const RUN_EVENTS = Subjects.event('*', 'run.>');
/** Events read at once while the index loads. */
const LOAD_BATCH = 5_000;

/** What the runs list asks for. */
export interface RunsQuery {
  /** Only runs in one of these statuses; all when empty. */
  statuses: readonly RunStatus[];
  /** Only this project's runs. */
  project?: string;
  /** Text found in the run id, project or file, any case. */
  text?: string;
  /** Submitted at or after this time (ms). */
  from?: number;
  /** Submitted at or before this time (ms). */
  to?: number;
  limit: number;
  /** Where the previous page ended, from its `cursor`. */
  cursor?: string;
}

/** A page of the runs list. */
export interface RunsPage {
  runs: RunSummary[];
  /** Runs matching the query, over all pages. */
  total: number;
  /** Pass as `cursor` for the next page; absent on the last. */
  cursor?: string;
  /** The last event sequence the list reflects. */
  seq: number;
}

/**
 * Every run's list line, kept in memory from the `run.*` events: loaded
 * from the whole history at start, then followed.
 */
export class RunsIndex {
  readonly #runs = new Map<string, RunSummary>();
  readonly #abort = new AbortController();
  readonly #onStarted: ((record: SequencedRecord) => void) | undefined;
  #sorted: RunSummary[] | undefined;
  #seq = 0;
  #following: Promise<void> = Promise.resolve();

  /**
   * @param onStarted called with each `run.started` event that arrives
   *   while the index follows (not for the history it loads at start).
   */
  constructor(onStarted?: (record: SequencedRecord) => void) {
    this.#onStarted = onStarted;
  }

  /**
   * Reads the history of every run, then follows new run events.
   *
   * @throws what reading the events stream throws.
   */
  async start(connection: RiverConnection, log: Logger): Promise<void> {
    let more = true;
    while (more) {
      const range = await readEventRange(
        connection,
        RUN_EVENTS,
        this.#seq,
        LOAD_BATCH,
      );
      for (const record of range.records) {
        this.#apply(record);
      }
      this.#seq = range.lastSeq;
      more = range.more;
    }
    log.info({ runs: this.#runs.size, seq: this.#seq }, 'Runs index loaded');
    this.#following = this.#follow(connection, log);
  }

  async #follow(connection: RiverConnection, log: Logger): Promise<void> {
    try {
      for await (const msg of followSubject(
        connection.js,
        Streams.events,
        RUN_EVENTS,
        this.#abort.signal,
        { afterSeq: this.#seq },
      )) {
        const event = eventRecordOf(msg.subject, msg.data);
        if (event !== undefined) {
          this.#apply({ seq: msg.seq, event });
          if (event.type === 'run.started') {
            this.#onStarted?.({ seq: msg.seq, event });
          }
        }
        this.#seq = msg.seq;
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) {
        log.error(
          { subject: RUN_EVENTS, err: error },
          'Following run events failed',
        );
      }
    }
  }

  #apply(record: SequencedRecord): void {
    const known = this.#runs.get(record.event.runId);
    const line = foldSummary(known, record);
    if (known === undefined) {
      this.#runs.set(line.runId, line);
    }
    this.#sorted = undefined;
  }

  /** A run's line, when the index knows the run. */
  get(runId: string): RunSummary | undefined {
    return this.#runs.get(runId);
  }

  /** Every project name seen, sorted. */
  projects(): string[] {
    const names = new Set<string>();
    for (const run of this.#runs.values()) {
      if (run.project !== undefined) {
        names.add(run.project);
      }
    }
    return [...names].sort();
  }

  /** One page of the runs that match `query`, newest submitted first. */
  list(query: RunsQuery): RunsPage {
    const text = query.text?.toLowerCase();
    const matches = this.#newestFirst().filter(
      (run) =>
        (query.statuses.length === 0 || query.statuses.includes(run.status)) &&
        (query.project === undefined || run.project === query.project) &&
        (query.from === undefined || run.submittedAt >= query.from) &&
        (query.to === undefined || run.submittedAt <= query.to) &&
        (text === undefined ||
          run.runId.toLowerCase().includes(text) ||
          run.file.toLowerCase().includes(text) ||
          (run.project?.toLowerCase().includes(text) ?? false)),
    );
    const start =
      query.cursor === undefined ? 0 : pageStart(matches, query.cursor);
    const runs = matches.slice(start, start + query.limit);
    const last = runs.at(-1);
    const more = start + runs.length < matches.length;
    return {
      runs: runs.map((run) => ({ ...run })),
      total: matches.length,
      ...(more && last !== undefined ? { cursor: cursorOf(last) } : {}),
      seq: this.#seq,
    };
  }

  #newestFirst(): RunSummary[] {
    this.#sorted ??= [...this.#runs.values()].sort(newestFirst);
    return this.#sorted;
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#following;
  }
}

function newestFirst(a: RunSummary, b: RunSummary): number {
  // The same run compares equal, so that a page after a cursor starts
  // after the cursor's own run.
  if (a.runId === b.runId) return b.submittedAt - a.submittedAt;
  return b.submittedAt - a.submittedAt || (a.runId < b.runId ? -1 : 1);
}

/** A page's end: its last run's time and id, which stay put. */
function cursorOf(run: RunSummary): string {
  return `${run.submittedAt}.${run.runId}`;
}

/** Where the page after `cursor` starts in `runs`, newest first. */
function pageStart(runs: RunSummary[], cursor: string): number {
  const dot = cursor.indexOf('.');
  const time = Number(cursor.slice(0, dot));
  const runId = cursor.slice(dot + 1);
  const bound: RunSummary = {
    runId,
    file: '',
    status: 'submitted',
    submittedAt: time,
    seq: 0,
  };
  const index = runs.findIndex((run) => newestFirst(run, bound) > 0);
  return index < 0 ? runs.length : index;
}
