import {
  decode,
  type LogIndexEntry,
  MessageDecodeError,
  Streams,
  Subjects,
} from '@river/protocol';
import { lastAttempt } from './index-keys.js';
import type { LogIndexStore } from './index-store.js';
import type { StreamReader } from './stream-reader.js';

/** One attempt of a task, as the index knows it. */
export interface IndexedAttempt {
  /** The attempt; absent when the task has no log yet. */
  attempt?: number;
  /** Its index entry; absent when no chunk of it was indexed yet. */
  entry?: LogIndexEntry;
}

/** The attempt asked for, or the task's last one, and its entry. */
export async function findAttempt(
  reader: StreamReader,
  store: LogIndexStore,
  runId: string,
  taskId: string,
  asked: number | undefined,
): Promise<IndexedAttempt> {
  const attempt = asked ?? (await lastAttempt(reader, runId, taskId));
  if (attempt === undefined) {
    return {};
  }
  const entry = (await store.read(`${runId}.${taskId}.${attempt}`))?.entry;
  return entry === undefined ? { attempt } : { attempt, entry };
}

/**
 * The stream sequence of the attempt's first chunk as far as the index
 * knows, else 1 (the whole task's chunks are read then).
 */
export function attemptStart(entry: LogIndexEntry | undefined): number {
  const first = entry?.lineMarks?.[0]?.streamSeq;
  if (first !== undefined) {
    return first;
  }
  const marks = entry?.marks ?? [];
  return marks.length === 0
    ? 1
    : Math.min(...marks.map((mark) => mark.streamSeq));
}

/** Where to read an attempt's output, and how. */
export interface OutputRead {
  runId: string;
  taskId: string;
  attempt: number;
  /** Stream sequence of the first chunk to read (of any attempt). */
  fromSeq: number;
  /** Chunks asked of the stream at first; more as reading goes on. */
  firstBatch?: number;
}

/**
 * The data of one attempt's chunks, stdout and stderr, in stored order
 * from `fromSeq`: other attempts' and malformed chunks are skipped, a
 * chunk stored twice is read once, and reading ends after the attempt's
 * last chunk or with the last chunk stored now.
 */
export async function* attemptOutput(
  reader: StreamReader,
  read: OutputRead,
): AsyncGenerator<Uint8Array> {
  const { runId, taskId, attempt } = read;
  const seen = new Set<number>();
  for await (const msg of reader.scan(
    Streams.logs,
    Subjects.logChunk(runId, taskId),
    read.fromSeq,
    read.firstBatch,
  )) {
    const chunk = decodeChunk(msg.subject, msg.data);
    if (
      chunk === undefined ||
      chunk.attempt !== attempt ||
      seen.has(chunk.seq)
    ) {
      continue;
    }
    seen.add(chunk.seq);
    if (chunk.data.length > 0) {
      yield chunk.data;
    }
    if (chunk.last) {
      return;
    }
  }
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
