import type { JsMsg } from '@nats-io/jetstream';
import type { LogChunk } from '@river/protocol';
import { type Logger, taskFields } from '@river/protocol/internal';
import { IndexContendedError } from './errors.js';
import type { LogIndexStore } from './index-store.js';
import {
  applyChunk,
  emptyLogIndexEntry,
  type IndexUpdate,
  logIndexKey,
} from './log-index.js';

/** Compare-and-set rounds on one entry before a chunk is naked. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * Counts each stored chunk into its attempt's index entry. The chunk itself
 * stays in the logs stream, which is the durable store that queries read.
 */
export function createChunkHandler(store: LogIndexStore, log: Logger) {
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
      );
      if (update.effect === 'duplicate') {
        log.debug(fields, 'Ignored repeated log chunk');
        return;
      }
      const written = await store.write(key, update.entry, stored?.revision);
      if (written !== undefined) {
        report(log, fields, update, chunk.last);
        return;
      }
    }
    throw new IndexContendedError(key, MAX_CONFLICT_RETRIES);
  };
}

function report(
  log: Logger,
  fields: Record<string, unknown>,
  update: IndexUpdate,
  last: boolean,
): void {
  const { entry, effect, missed } = update;
  if (effect === 'gap') {
    log.warn(
      {
        ...fields,
        missingFrom: missed[0],
        missingCount: missed.length,
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
