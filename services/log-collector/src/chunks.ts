import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { LogChunk, LogIndexEntry } from '@river/protocol';
import { type Logger, taskFields } from '@river/protocol/internal';
import { IndexContendedError } from './errors.js';
import { gapReported, publishGap } from './gap-events.js';
import type { LogIndexStore } from './index-store.js';
import {
  applyChunk,
  emptyLogIndexEntry,
  gapEndingBefore,
  type IndexUpdate,
  logIndexKey,
} from './log-index.js';
import type { StreamReader } from './stream-reader.js';

/** Compare-and-set rounds on one entry before a chunk is naked. */
const MAX_CONFLICT_RETRIES = 5;

/** What the chunk handler works with. */
export interface ChunkHandlerDeps {
  /** Publishes gap events. */
  js: JetStreamClient;
  /** Reads the events stream back, to find gap events published before. */
  reader: StreamReader;
  store: LogIndexStore;
  log: Logger;
}

/**
 * Counts each stored chunk into its attempt's index entry, and publishes a
 * `task.log-gap` event when a chunk skips sequences. The chunk itself
 * stays in the logs stream, which is the durable store that queries read.
 *
 * The entry is written before the event is published, so a gap is only
 * reported once it is recorded. A collector that dies in between leaves
 * the chunk unacknowledged; when it comes back, the index already counts
 * it, and the event is published then unless the history holds it.
 */
export function createChunkHandler(deps: ChunkHandlerDeps) {
  const { js, reader, store, log } = deps;
  return async (chunk: LogChunk, msg: JsMsg): Promise<undefined> => {
    const key = logIndexKey(chunk);
    const fields = {
      ...taskFields(chunk),
      subject: msg.subject,
      seq: chunk.seq,
    };

    for (let round = 0; round < MAX_CONFLICT_RETRIES; round++) {
      const stored = await store.read(key);
      const update = applyChunk(
        stored?.entry ?? emptyLogIndexEntry(chunk),
        chunk,
        msg.info.streamSequence,
      );
      if (update.effect === 'duplicate') {
        log.debug(fields, 'Ignored repeated log chunk');
        if (msg.redelivered) {
          await reportAgain(update.entry, chunk, fields);
        }
        return;
      }
      const written = await store.write(key, update.entry, stored?.revision);
      if (written !== undefined) {
        report(log, fields, update, chunk.last);
        if (update.gap !== undefined) {
          await publishGap(js, chunk, update.gap);
        }
        return;
      }
    }
    throw new IndexContendedError(key, MAX_CONFLICT_RETRIES);
  };

  /**
   * A chunk that comes back already counted may have found a gap whose
   * event was never published: its collector stopped in between.
   */
  async function reportAgain(
    entry: LogIndexEntry,
    chunk: LogChunk,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const gap = gapEndingBefore(entry, chunk.seq);
    if (gap === undefined || (await gapReported(reader, chunk, gap.toSeq))) {
      return;
    }
    log.warn(
      { ...fields, missingFrom: gap.fromSeq, missingTo: gap.toSeq },
      'Reported a log gap that a stopped collector had not reported',
    );
    await publishGap(js, chunk, gap);
  }
}

function report(
  log: Logger,
  fields: Record<string, unknown>,
  update: IndexUpdate,
  last: boolean,
): void {
  const { entry, effect, gap } = update;
  if (effect === 'gap' && gap !== undefined) {
    log.warn(
      {
        ...fields,
        missingFrom: gap.fromSeq,
        missingCount: gap.toSeq - gap.fromSeq + 1,
      },
      'Log chunks are missing before this one',
    );
  } else if (effect === 'filled') {
    log.info(fields, 'Late log chunk filled a gap');
  } else {
    log.debug(fields, 'Indexed log chunk');
  }
  if (last) {
    log.info(
      {
        ...fields,
        chunks: entry.chunks,
        bytes: entry.bytes,
        missing: entry.missing.length,
      },
      'Task attempt log is complete',
    );
  }
}
