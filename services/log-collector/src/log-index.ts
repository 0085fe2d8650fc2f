import {
  type LogChunk,
  type LogIndexEntry,
  type LogMark,
  SCHEMA_VERSION,
} from '@river/protocol';
import { countLines } from './line-marks.js';

/**
 * The most chunk sequences one entry lists as missing. A sandbox that jumps
 * far ahead would otherwise grow the entry past the server's payload limit.
 */
export const MAX_MISSING_SEQUENCES = 10_000;

/**
 * Output bytes between two marks of one stream: a range read starts at
 * most this far before its offset, plus one chunk.
 */
export const MARK_EVERY_BYTES = 64 * 1024;

/**
 * The most marks one entry keeps. Past it, every other mark is dropped,
 * so a long log's range reads start further back but the entry stays
 * small (a mark takes about 30 bytes).
 */
export const MAX_MARKS = 2_048;

/** What a chunk did to its attempt's index entry. */
export type ChunkEffect =
  /** It was the next chunk expected. */
  | 'appended'
  /** It came after a gap, now listed in `missing`. */
  | 'gap'
  /** It filled a gap recorded earlier. */
  | 'filled'
  /** Its sequence was seen before; the entry is unchanged. */
  | 'duplicate';

/** Chunk sequences `fromSeq` to `toSeq`, both included, that are missing. */
export interface SequenceGap {
  fromSeq: number;
  toSeq: number;
}

/** The entry after a chunk, and how the chunk changed it. */
export interface IndexUpdate {
  entry: LogIndexEntry;
  effect: ChunkEffect;
  /** Sequences found missing by this chunk (for `gap`), in order. */
  missed: number[];
  /**
   * The whole run of sequences this chunk skipped (for `gap`), even when
   * `missed` was cut to {@link MAX_MISSING_SEQUENCES}.
   */
  gap?: SequenceGap;
}

/** The key of a task attempt's entry in the log index bucket. */
export function logIndexKey(chunk: {
  runId: string;
  taskId: string;
  attempt: number;
}): string {
  return `${chunk.runId}.${chunk.taskId}.${chunk.attempt}`;
}

/** The entry of an attempt before its first chunk. */
export function emptyLogIndexEntry(chunk: LogChunk): LogIndexEntry {
  return {
    schema: SCHEMA_VERSION,
    runId: chunk.runId,
    taskId: chunk.taskId,
    attempt: chunk.attempt,
    chunks: 0,
    bytes: 0,
    nextSeq: 0,
    missing: [],
    complete: false,
  };
}

/**
 * Counts a chunk into its attempt's entry. A sequence beyond `nextSeq`
 * records the ones skipped as missing; a sequence seen before is never
 * counted twice.
 */
export function applyChunk(
  entry: LogIndexEntry,
  chunk: LogChunk,
  streamSeq?: number,
): IndexUpdate {
  let effect: ChunkEffect = 'appended';
  let missing = entry.missing;
  let nextSeq = entry.nextSeq;
  let gap: SequenceGap | undefined;
  const missed: number[] = [];

  if (chunk.seq < entry.nextSeq) {
    if (!entry.missing.includes(chunk.seq)) {
      return { entry, effect: 'duplicate', missed };
    }
    effect = 'filled';
    missing = entry.missing.filter((seq) => seq !== chunk.seq);
  } else {
    if (chunk.seq > entry.nextSeq) {
      effect = 'gap';
      gap = { fromSeq: entry.nextSeq, toSeq: chunk.seq - 1 };
      const room = MAX_MISSING_SEQUENCES - entry.missing.length;
      const end = Math.min(chunk.seq, entry.nextSeq + Math.max(room, 0));
      for (let seq = entry.nextSeq; seq < end; seq++) {
        missed.push(seq);
      }
      missing = [...entry.missing, ...missed];
    }
    nextSeq = chunk.seq + 1;
  }

  const streamBytes = entry.streamBytes ?? { stdout: 0, stderr: 0 };
  const offset = streamBytes[chunk.stream];
  // A late chunk's bytes belong before marks already written; it is
  // counted, but marks only follow chunks that come in order.
  const marks =
    streamSeq === undefined || effect === 'filled' || chunk.data.length === 0
      ? entry.marks
      : addMark(entry.marks ?? [], {
          stream: chunk.stream,
          streamSeq,
          offset,
        });

  return {
    entry: {
      ...entry,
      chunks: entry.chunks + 1,
      bytes: entry.bytes + chunk.data.length,
      nextSeq,
      missing,
      complete: entry.complete || chunk.last,
      streamBytes: {
        ...streamBytes,
        [chunk.stream]: offset + chunk.data.length,
      },
      ...(marks === undefined ? {} : { marks }),
      ...countLines(entry, chunk.data, streamSeq),
    },
    effect,
    missed,
    ...(gap === undefined ? {} : { gap }),
  };
}

/**
 * The missing sequences just below `seq`, read back from an entry that
 * already counts it: the gap `seq` found when it first arrived, less any
 * chunk that filled it since. `undefined` when `seq - 1` is not missing.
 */
export function gapEndingBefore(
  entry: LogIndexEntry,
  seq: number,
): SequenceGap | undefined {
  const missing = new Set(entry.missing);
  if (!missing.has(seq - 1)) {
    return undefined;
  }
  let fromSeq = seq - 1;
  while (missing.has(fromSeq - 1)) {
    fromSeq--;
  }
  return { fromSeq, toSeq: seq - 1 };
}

/**
 * The marks with `mark` added when its stream has none within
 * {@link MARK_EVERY_BYTES} before it; thinned to {@link MAX_MARKS}.
 */
export function addMark(marks: LogMark[], mark: LogMark): LogMark[] {
  const previous = marks.findLast((found) => found.stream === mark.stream);
  if (
    previous !== undefined &&
    mark.offset - previous.offset < MARK_EVERY_BYTES
  ) {
    return marks;
  }
  const added = [...marks, mark];
  if (added.length <= MAX_MARKS) {
    return added;
  }
  // Every other mark of each stream goes; each stream keeps its first.
  const seen = { stdout: 0, stderr: 0 };
  return added.filter((found) => seen[found.stream]++ % 2 === 0);
}

/**
 * Where a range read of `stream` from `offset` starts: the last mark at
 * or before the offset, or `undefined` when the stream has none.
 */
export function markBefore(
  marks: readonly LogMark[],
  stream: LogMark['stream'],
  offset: number,
): LogMark | undefined {
  return marks.findLast(
    (mark) => mark.stream === stream && mark.offset <= offset,
  );
}
