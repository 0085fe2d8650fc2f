/**
 * The gateway's log routes for one task attempt: ranges of lines, the
 * tail, the search and the raw download.
 */
import { requestJson } from '../api/http.js';
import { fetchRun } from '../api/runs.js';

/** Which log: a task of a run, and its attempt (the last one if absent). */
export interface LogTarget {
  runId: string;
  taskId: string;
  attempt?: number | undefined;
}

/** Consecutive raw lines of a log, and what the log holds so far. */
export interface LogPage {
  firstLine: number;
  lines: string[];
  totalLines: number;
  /** The attempt has finished and every chunk of its output is stored. */
  complete: boolean;
  attempt: number;
}

/** What the server's search found in a log's visible text. */
export interface LogSearchResult {
  /** Every occurrence, however many lines hold them. */
  hits: number;
  matchingLines: number;
  /** The first line numbers with a hit, ascending, at most the limit. */
  lines: number[];
  complete: boolean;
}

/** The most lines one request may ask for. */
export const MAX_LINES_PER_REQUEST = 5_000;

/** The most hit lines a search lists. */
export const SEARCH_LINE_LIMIT = 10_000;

/** The URL of the log routes, `suffix` being `''`, `/search` or `/raw`. */
export function logUrl(
  target: LogTarget,
  suffix: '' | '/search' | '/raw',
  params: Record<string, string | number | undefined> = {},
): string {
  const run = encodeURIComponent(target.runId);
  const task = encodeURIComponent(target.taskId);
  const query = new URLSearchParams();
  if (target.attempt !== undefined) {
    query.set('attempt', String(target.attempt));
  }
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) {
      query.set(name, String(value));
    }
  }
  const search = query.size > 0 ? `?${query}` : '';
  return `/api/runs/${run}/tasks/${task}/log${suffix}${search}`;
}

/** Lines `from` to `from + count - 1`, fewer at the end of the log. */
export function fetchLogLines(
  target: LogTarget,
  from: number,
  count: number,
  signal?: AbortSignal,
): Promise<LogPage> {
  return getJson(logUrl(target, '', { from, count }), signal);
}

/** The last `count` lines. */
export function fetchLogTail(
  target: LogTarget,
  count: number,
  signal?: AbortSignal,
): Promise<LogPage> {
  return getJson(logUrl(target, '', { tail: count }), signal);
}

/** Search the log's visible text for `query`. */
export function searchLog(
  target: LogTarget,
  query: string,
  matchCase: boolean,
  signal?: AbortSignal,
): Promise<LogSearchResult> {
  const params = {
    q: query,
    case: matchCase ? 1 : undefined,
    limit: SEARCH_LINE_LIMIT,
  };
  return getJson(logUrl(target, '/search', params), signal);
}

/** The attempt numbers a task has had, oldest first. */
export async function fetchTaskAttempts(
  runId: string,
  taskId: string,
  signal?: AbortSignal,
): Promise<number[]> {
  const { run } = await fetchRun(runId, signal);
  return (run.tasks[taskId]?.attempts ?? []).map(({ attempt }) => attempt);
}

function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return requestJson<T>('GET', url, undefined, signal);
}
