import type { LogQuery } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import { attemptOutput, attemptStart, findAttempt } from './attempt-output.js';
import type { LogIndexStore } from './index-store.js';
import { LineCollector } from './line-collector.js';
import { lineMarkBefore, totalLines } from './line-marks.js';
import type { StreamReader } from './stream-reader.js';

/** Lines in a line reply when the query names no count. */
export const DEFAULT_LINES = 1_000;

/**
 * Chunks asked of the stream at first by a line read: a few chunks hold
 * the lines of one reply; the batches grow when they do not.
 */
const LINE_READ_FIRST_BATCH = 2;

/** Lines of one attempt's output, as a line or tail reply holds them. */
export interface LogLines {
  lines: string[];
  firstLine: number;
  totalLines: number;
  /** The attempt read; absent when the task has no log. */
  attempt?: number;
  complete: boolean;
}

/**
 * Reads lines of one attempt's output (both streams in stored order): from
 * `query.line` on, or the last `query.tail`. The index's line marks say
 * which stored chunk holds the first line wanted, so reading starts there;
 * an entry without marks is read from the attempt's start.
 */
export async function readLogLines(
  reader: StreamReader,
  store: LogIndexStore,
  query: LogQuery & { taskId: string },
  log: Logger,
): Promise<LogLines> {
  const { runId, taskId } = query;
  const { attempt, entry } = await findAttempt(
    reader,
    store,
    runId,
    taskId,
    query.attempt,
  );
  const tail = query.tail !== undefined;
  const wanted = query.tail ?? query.lines ?? DEFAULT_LINES;
  if (attempt === undefined) {
    return {
      lines: [],
      firstLine: query.line ?? 1,
      totalLines: 0,
      complete: false,
    };
  }

  // A tail starts where the index says the last lines are; lines stored
  // since are read too, and the window keeps the last ones.
  const indexed = entry === undefined ? undefined : totalLines(entry);
  const first = tail
    ? Math.max(1, (indexed ?? 0) - wanted + 1)
    : (query.line ?? 1);
  const mark = lineMarkBefore(entry?.lineMarks ?? [], first);
  const collector = new LineCollector({
    first,
    count: wanted,
    tail,
    linesBefore: mark?.line ?? 0,
  });

  // Without a count in the index, the read goes on to the end to count.
  let reachedEnd = true;
  let chunksRead = 0;
  for await (const data of attemptOutput(reader, {
    runId,
    taskId,
    attempt,
    fromSeq: mark?.streamSeq ?? attemptStart(entry),
    firstBatch: LINE_READ_FIRST_BATCH,
  })) {
    chunksRead++;
    collector.push(data);
    if (collector.full && indexed !== undefined) {
      reachedEnd = false;
      break;
    }
  }
  const collected = collector.finish();
  log.debug(
    {
      runId,
      taskId,
      attempt,
      line: collected.firstLine,
      fromStreamSeq: mark?.streamSeq,
      chunksRead,
    },
    'Read log lines',
  );
  return {
    lines: collected.lines,
    firstLine: collected.firstLine,
    totalLines: reachedEnd
      ? collected.linesSeen
      : Math.max(indexed ?? 0, collected.linesSeen),
    attempt,
    complete: entry?.complete ?? false,
  };
}
