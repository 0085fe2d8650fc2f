import type { LineMark, LogIndexEntry } from '@river/protocol';

/**
 * Output bytes (both streams) between two line marks: a line read starts
 * at most this far, plus one chunk, before its first line.
 */
export const LINE_MARK_EVERY_BYTES = 64 * 1024;

/**
 * The most line marks one entry keeps. Past it, every other mark is
 * dropped, as byte marks are: a long log's line reads start further back
 * but the entry stays small.
 */
export const MAX_LINE_MARKS = 2_048;

const NEWLINE = 0x0a;

/** The lines-related fields of an index entry. */
export type LineCount = Pick<LogIndexEntry, 'lines' | 'openLine' | 'lineMarks'>;

/** The number of "\n" bytes in `data`. */
export function countNewlines(data: Uint8Array): number {
  // Buffer's indexOf searches natively: far faster than a loop over bytes.
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let count = 0;
  for (
    let at = bytes.indexOf(NEWLINE);
    at !== -1;
    at = bytes.indexOf(NEWLINE, at + 1)
  ) {
    count++;
  }
  return count;
}

/**
 * The entry's line count after a chunk of `data` stored at `streamSeq`,
 * counted in stored order like `bytes`. An entry that counted chunks
 * before lines were counted gets none: its counts would be short.
 */
export function countLines(
  entry: LogIndexEntry,
  data: Uint8Array,
  streamSeq: number | undefined,
): LineCount {
  if (entry.lines === undefined && entry.chunks > 0) {
    return {};
  }
  const before = entry.lines ?? 0;
  const lines = before + countNewlines(data);
  const openLine =
    data.length === 0
      ? (entry.openLine ?? false)
      : data[data.length - 1] !== NEWLINE;
  // A chunk is marked when it holds a multiple of the mark distance.
  const boundary =
    Math.ceil(entry.bytes / LINE_MARK_EVERY_BYTES) * LINE_MARK_EVERY_BYTES;
  const marked =
    streamSeq !== undefined &&
    data.length > 0 &&
    boundary < entry.bytes + data.length;
  const lineMarks = marked
    ? addLineMark(entry.lineMarks ?? [], { streamSeq, line: before })
    : entry.lineMarks;
  return { lines, openLine, ...(lineMarks === undefined ? {} : { lineMarks }) };
}

/** The marks with `mark` added, thinned to {@link MAX_LINE_MARKS}. */
export function addLineMark(
  marks: readonly LineMark[],
  mark: LineMark,
): LineMark[] {
  const added = [...marks, mark];
  if (added.length <= MAX_LINE_MARKS) {
    return added;
  }
  // Every other mark goes; the first, the attempt's start, stays.
  return added.filter((_, index) => index % 2 === 0);
}

/**
 * Where a read of line `line` (from 1) starts: the last mark whose chunk
 * starts before that line does, or `undefined` when no mark does.
 *
 * A chunk after `mark.line` newlines starts somewhere in line
 * `mark.line + 1`, maybe in its middle, so only a chunk that starts in
 * an earlier line is sure to hold that line's start. The first mark, the
 * attempt's first chunk, starts line 1 and so precedes every line.
 */
export function lineMarkBefore(
  marks: readonly LineMark[],
  line: number,
): LineMark | undefined {
  const found = marks.findLast((mark) => mark.line + 1 < line);
  return found ?? marks[0];
}

/** The lines of an output whose newlines and open line the entry counts. */
export function totalLines(entry: LogIndexEntry): number | undefined {
  if (entry.lines === undefined) {
    return undefined;
  }
  return entry.lines + (entry.openLine === true ? 1 : 0);
}
