import { Subjects } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { foldRun, type RunDetail, type SequencedRecord } from '@river/run-view';
import { readEventRange } from './event-reader.js';
import { LruMap } from './lru-map.js';

/** Runs whose state stays in memory, the most recently asked for. */
const CACHED_RUNS = 64;
/** Events read at once while a state catches up. */
const READ_BATCH = 5_000;

/** One page of a run's raw history. */
export interface EventsPage {
  events: SequencedRecord[];
  /** Pass as `after` for the next page; absent when none follows. */
  next?: number;
}

/**
 * Runs' states folded from their histories. A state asked for again only
 * reads the events stored since, so a big run's page opens fast the
 * second time and live runs cost one short read per request.
 */
export class RunSnapshots {
  readonly #connection: RiverConnection;
  readonly #cache = new LruMap<string, RunDetail>(CACHED_RUNS);

  constructor(connection: RiverConnection) {
    this.#connection = connection;
  }

  /** A run's state now, or undefined for a run with no events. */
  async get(runId: string): Promise<RunDetail | undefined> {
    let detail = this.#cache.get(runId);
    let more = true;
    let seq = detail?.summary.seq ?? 0;
    while (more) {
      const range = await readEventRange(
        this.#connection,
        Subjects.runEvents(runId),
        seq,
        READ_BATCH,
      );
      for (const record of range.records) {
        detail = foldRun(detail, record);
      }
      seq = range.lastSeq;
      more = range.more;
    }
    if (detail === undefined) {
      return undefined;
    }
    this.#cache.set(runId, detail);
    return detail;
  }

  /** Up to `limit` of a run's stored events after sequence `after`. */
  async events(
    runId: string,
    after: number,
    limit: number,
  ): Promise<EventsPage> {
    const range = await readEventRange(
      this.#connection,
      Subjects.runEvents(runId),
      after,
      limit,
    );
    return {
      events: range.records,
      ...(range.more ? { next: range.lastSeq } : {}),
    };
  }
}
