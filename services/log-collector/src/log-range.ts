import {
  decode,
  type LogQuery,
  type LogStream,
  MessageDecodeError,
  type StoredLogChunk,
  Streams,
  Subjects,
} from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import { lastAttempt } from './index-keys.js';
import type { LogIndexStore } from './index-store.js';
import { markBefore } from './log-index.js';
import { DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES } from './log-page.js';
import type { StreamReader } from './stream-reader.js';

/**
 * Chunks a range read looks at before it gives up: past the mark it
 * starts from, other outputs and attempts of the task may sit between.
 */
const MAX_SCANNED_CHUNKS = 4_096;

/** A byte range of one attempt's output. */
export interface LogRange {
  chunks: StoredLogChunk[];
  /** The attempt read; absent when the task has no log. */
  attempt?: number;
  /** Bytes of the output that the index has counted. */
  size: number;
  complete: boolean;
}

/** Why a range query cannot be answered. */
export class RangeQueryError extends Error {}

/**
 * Reads `query.length` bytes of one attempt's output from `query.offset`.
 * The index's marks say which stored chunk holds the offset, so reading
 * starts there instead of at the log's start; each returned chunk carries
 * the offset of its (cut) data.
 *
 * @throws RangeQueryError when the query names no task.
 */
export async function readLogRange(
  reader: StreamReader,
  store: LogIndexStore,
  query: LogQuery,
  log: Logger,
): Promise<LogRange> {
  const { runId, taskId } = query;
  if (taskId === undefined) {
    throw new RangeQueryError(
      'A range query (offset) must name a task: set taskId.',
    );
  }
  const stream: LogStream = query.stream ?? 'stdout';
  const attempt = query.attempt ?? (await lastAttempt(reader, runId, taskId));
  if (attempt === undefined) {
    return { chunks: [], size: 0, complete: false };
  }
  const entry = (await store.read(`${runId}.${taskId}.${attempt}`))?.entry;
  const size = entry?.streamBytes?.[stream] ?? 0;
  const complete = entry?.complete ?? false;

  const offset = query.offset ?? 0;
  const end =
    offset + Math.min(query.length ?? DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES);
  // An entry written before marks existed is read from the log's start.
  const mark = markBefore(entry?.marks ?? [], stream, offset);
  let position = mark?.offset ?? 0;
  const chunks: StoredLogChunk[] = [];
  const seen = new Set<number>();
  let scanned = 0;

  for await (const msg of reader.scan(
    Streams.logs,
    Subjects.logChunk(runId, taskId),
    mark?.streamSeq ?? 1,
  )) {
    if (position >= end || ++scanned > MAX_SCANNED_CHUNKS) {
      break;
    }
    const chunk = decodeChunk(msg.subject, msg.data);
    if (chunk === undefined || chunk.attempt !== attempt) {
      continue;
    }
    if (chunk.stream === stream && !seen.has(chunk.seq)) {
      seen.add(chunk.seq);
      const from = Math.max(offset, position);
      const to = Math.min(end, position + chunk.data.length);
      if (to > from) {
        chunks.push({
          taskId,
          attempt,
          seq: chunk.seq,
          stream,
          data: chunk.data.subarray(from - position, to - position),
          at: msg.at,
          offset: from,
        });
      }
      position += chunk.data.length;
    }
    if (chunk.last) {
      break;
    }
  }
  log.debug(
    {
      runId,
      taskId,
      attempt,
      offset,
      fromStreamSeq: mark?.streamSeq ?? 1,
      chunksRead: scanned,
    },
    'Read log range',
  );
  return { chunks, attempt, size, complete };
}

function decodeChunk(subject: string, data: Uint8Array) {
  try {
    return decode('logChunk', subject, data);
  } catch (error) {
    if (error instanceof MessageDecodeError) {
      return undefined;
    }
    throw error;
  }
}
