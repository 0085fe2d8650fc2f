import type { Consumer } from '@nats-io/jetstream';
import {
  decode,
  type LogQuery,
  MessageDecodeError,
  type StoredLogChunk,
  Streams,
  Subjects,
} from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import type { StreamReader } from './stream-reader.js';

/** Chunk data in a reply when the query names no budget. */
export const DEFAULT_PAGE_BYTES = 256 * 1024;
/** The most chunk data in one reply, well under the 1 MB `max_payload`. */
export const MAX_PAGE_BYTES = 512 * 1024;
/** Messages asked of the stream at once while a page fills. */
const FETCH_BATCH = 256;
/** How long one fetch waits for messages the stream said it holds. */
const FETCH_EXPIRES_MS = 2_000;

/** One page of a task's or a run's stored log. */
export interface LogPage {
  chunks: StoredLogChunk[];
  /** The last stream sequence read, when more chunks may follow. */
  next?: number;
  /** The last stream sequence read, on every page that read any. */
  cursor?: number;
}

/**
 * Reads stored chunks in stream order, starting after stream sequence
 * `query.after`, until their data reaches the byte budget. A page holds at
 * least one chunk when any is left, so an oversized chunk still gets out.
 */
export async function readLogPage(
  reader: StreamReader,
  query: LogQuery,
  log: Logger,
): Promise<LogPage> {
  const budget = Math.min(query.maxBytes ?? DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES);
  const filter =
    query.taskId === undefined
      ? Subjects.runLogChunks(query.runId)
      : Subjects.logChunk(query.runId, query.taskId);

  // An ordered consumer is ephemeral, in memory and single-filtered, which
  // nats-server 2.9 supports; it reads from one point of the stream onward.
  const consumer = await reader.open(Streams.logs, {
    filter_subjects: filter,
    opt_start_seq: (query.after ?? 0) + 1,
  });
  try {
    return await fill(consumer, budget, log);
  } finally {
    consumer.delete().catch(() => {
      // Its inactivity threshold removes it anyway.
    });
  }
}

async function fill(
  consumer: Consumer,
  budget: number,
  log: Logger,
): Promise<LogPage> {
  const chunks: StoredLogChunk[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  let lastSeq = 0;
  let pending = (await consumer.info(true)).num_pending;

  while (pending > 0) {
    const batch = await consumer.fetch({
      max_messages: Math.min(pending, FETCH_BATCH),
      expires: FETCH_EXPIRES_MS,
    });
    let received = 0;
    for await (const msg of batch) {
      received++;
      const chunk = storedChunk(msg.subject, msg.data, log);
      const size = chunk?.data.length ?? 0;
      if (chunks.length > 0 && bytes + size > budget) {
        // This chunk starts the next page; the caller resumes after the
        // last one returned.
        return { chunks, next: lastSeq, cursor: lastSeq };
      }
      lastSeq = msg.seq;
      pending = msg.info.pending;

      if (chunk === undefined) {
        continue;
      }
      // A sandbox that repeated a publish stored the chunk twice; within a
      // page it is returned once.
      const id = `${chunk.taskId}.${chunk.attempt}.${chunk.seq}`;
      if (!seen.has(id)) {
        seen.add(id);
        chunks.push(chunk);
        bytes += size;
      }
    }
    if (received === 0) {
      break;
    }
  }
  return lastSeq === 0 ? { chunks } : { chunks, cursor: lastSeq };
}

/** The chunk as a reply carries it, or `undefined` if it is malformed. */
function storedChunk(
  subject: string,
  data: Uint8Array,
  log: Logger,
): StoredLogChunk | undefined {
  try {
    const chunk = decode('logChunk', subject, data);
    return {
      taskId: chunk.taskId,
      attempt: chunk.attempt,
      seq: chunk.seq,
      stream: chunk.stream,
      data: chunk.data,
    };
  } catch (error) {
    if (!(error instanceof MessageDecodeError)) {
      throw error;
    }
    log.debug(
      { subject, field: error.field },
      'Skipped malformed stored log chunk',
    );
    return undefined;
  }
}
