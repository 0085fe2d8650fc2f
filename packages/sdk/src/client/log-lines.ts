import type { RiverConnection } from '@river/protocol/internal';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';
import { queryLogs, requireRun } from './log-reader.js';

/** Options of {@link RiverClient.logLines}. */
export interface LogLinesOptions {
  /** The first line, counting from 1; 1 unless given. */
  from?: number;
  /** How many lines from `from`, 1 to 5,000; 1,000 unless given. */
  count?: number;
  /** Instead of `from` and `count`: the last this many lines (1-5,000). */
  tail?: number;
  /** Which attempt; the task's last unless given. */
  attempt?: number;
}

/** Lines of one attempt's output, as {@link RiverClient.logLines} reads. */
export interface LogLines {
  /**
   * The lines, UTF-8 decoded, with their escape sequences and carriage
   * returns but without "\n"; fewer than asked when the rest would not
   * fit one reply (512 KiB) or the output ends.
   */
  lines: string[];
  /** The number of `lines[0]`. */
  firstLine: number;
  /** Lines of the output so far, a last one without "\n" too. */
  totalLines: number;
  /** The attempt read; absent when the task has no log. */
  attempt?: number;
  /** Whether the attempt has finished writing its output. */
  complete: boolean;
}

/** Options of {@link RiverClient.searchLog}. */
export interface LogSearchOptions {
  /** Match case exactly; case is ignored unless set. */
  caseSensitive?: boolean;
  /** Line numbers listed at most, up to 10,000; 1,000 unless given. */
  maxHits?: number;
  /** Which attempt; the task's last unless given. */
  attempt?: number;
}

/** What {@link RiverClient.searchLog} found. */
export interface LogSearchResult {
  /** Every occurrence in the text a terminal shows, without overlaps. */
  hits: number;
  /** Lines holding at least one occurrence. */
  matchingLines: number;
  /** The first `maxHits` of those lines' numbers, ascending. */
  hitLines: number[];
  /** Lines of the output, a last one without "\n" too. */
  totalLines: number;
  /** The attempt searched; absent when the task has no log. */
  attempt?: number;
  /** Whether the attempt has finished writing its output. */
  complete: boolean;
}

/**
 * Lines of one attempt's output (stdout and stderr as stored), from a
 * line on or the last ones, which the collector finds through its index.
 *
 * @throws RiverError when the run has no events, no collector answers,
 *   or the collector refuses the options.
 */
export async function readLogLines(
  connection: RiverConnection,
  runId: string,
  taskId: string,
  options: LogLinesOptions = {},
): Promise<LogLines> {
  await requireRun(connection, runId);
  // `from` or `count` beside `tail` go along, for the collector to refuse.
  const from = options.tail === undefined ? (options.from ?? 1) : options.from;
  const reply = await queryLogs(connection, {
    runId,
    taskId,
    ...(from === undefined ? {} : { line: from }),
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    ...(options.count === undefined ? {} : { lines: options.count }),
    ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
  });
  if (reply.lines === undefined) {
    throw olderCollector('lines');
  }
  return {
    lines: reply.lines,
    firstLine: reply.firstLine ?? 1,
    totalLines: reply.totalLines ?? reply.lines.length,
    ...(reply.attempt === undefined ? {} : { attempt: reply.attempt }),
    complete: reply.complete ?? false,
  };
}

/**
 * Counts the occurrences of `text` in one attempt's output, as a
 * terminal shows it (escape sequences removed, carriage returns
 * applied); an occurrence never spans lines.
 *
 * @throws RiverError when the run has no events, no collector answers,
 *   or the collector refuses the options.
 */
export async function searchLogText(
  connection: RiverConnection,
  runId: string,
  taskId: string,
  text: string,
  options: LogSearchOptions = {},
): Promise<LogSearchResult> {
  await requireRun(connection, runId);
  const reply = await queryLogs(connection, {
    runId,
    taskId,
    search: text,
    ...(options.caseSensitive === undefined
      ? {}
      : { caseSensitive: options.caseSensitive }),
    ...(options.maxHits === undefined ? {} : { maxHits: options.maxHits }),
    ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
  });
  if (reply.hits === undefined) {
    throw olderCollector('search counts');
  }
  return {
    hits: reply.hits,
    matchingLines: reply.matchingLines ?? 0,
    hitLines: reply.hitLines ?? [],
    totalLines: reply.totalLines ?? 0,
    ...(reply.attempt === undefined ? {} : { attempt: reply.attempt }),
    complete: reply.complete ?? false,
  };
}

function olderCollector(what: string): RiverError {
  return new RiverError(
    RiverErrorCode.connection,
    `The log-collector answered without ${what}: it is older than this ` +
      'client; upgrade river-log-collector.',
  );
}
