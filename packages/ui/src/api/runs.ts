/** The gateway's run routes, typed. */
import type {
  RunDetail,
  RunStatus,
  RunSummary,
  SequencedRecord,
} from '@river/run-view';
import { queryString, requestJson } from './http.js';

/** What the runs list asks for; every field narrows it. */
export interface RunFilter {
  statuses: RunStatus[];
  project?: string;
  /** Text found in the run id, project or file. */
  text?: string;
  /** Submitted at or after, ms since epoch. */
  from?: number;
  /** Submitted at or before, ms since epoch. */
  to?: number;
}

/** One page of the runs list. */
export interface RunPage {
  runs: RunSummary[];
  /** How many runs match in all. */
  total: number;
  /** Pass it for the next page; absent on the last. */
  cursor?: string;
  /** The events sequence the page reflects: follow the stream after it. */
  seq: number;
}

/** Lists runs, newest submitted first. */
export function fetchRuns(
  filter: RunFilter,
  page: { limit: number; cursor?: string | undefined },
  signal?: AbortSignal,
): Promise<RunPage> {
  const query = queryString({
    status: filter.statuses,
    project: filter.project,
    q: filter.text,
    from: filter.from,
    to: filter.to,
    limit: page.limit,
    cursor: page.cursor,
  });
  return requestJson('GET', `/api/runs${query}`, undefined, signal);
}

/** The project names runs were made of, for the project filter. */
export async function fetchProjects(): Promise<string[]> {
  const answer = await requestJson<{ projects: string[] }>(
    'GET',
    '/api/projects',
  );
  return answer.projects;
}

/** A run's state and the events sequence it reflects. */
export interface RunSnapshot {
  run: RunDetail;
  seq: number;
}

function runUrl(runId: string, rest = ''): string {
  return `/api/runs/${encodeURIComponent(runId)}${rest}`;
}

/**
 * Everything about one run.
 *
 * @throws ApiError with status 404 for an unknown run.
 */
export function fetchRun(
  runId: string,
  signal?: AbortSignal,
): Promise<RunSnapshot> {
  return requestJson('GET', runUrl(runId), undefined, signal);
}

/** One page of a run's raw history, oldest first. */
export interface EventPage {
  events: SequencedRecord[];
  /** Pass it as `after` for more; absent when the history is read. */
  next?: number;
}

/** Reads a run's history after the sequence `after`. */
export function fetchRunEvents(
  runId: string,
  after: number | undefined,
  limit = 500,
  signal?: AbortSignal,
): Promise<EventPage> {
  const query = queryString({ after, limit });
  return requestJson(
    'GET',
    runUrl(runId, `/events${query}`),
    undefined,
    signal,
  );
}

/**
 * The laid-out job graph of a run, as the gateway computed it; the graph
 * component reads its shape.
 */
export async function fetchRunGraph(
  runId: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const answer = await requestJson<{ layout: unknown }>(
    'GET',
    runUrl(runId, '/graph'),
    undefined,
    signal,
  );
  return answer.layout;
}

/**
 * Asks for a run to be cancelled; its `run.finished` event confirms it.
 *
 * @throws ApiError 403 for a viewer, 409 when the run has finished.
 */
export async function cancelRun(runId: string, reason?: string) {
  await requestJson<unknown>(
    'POST',
    runUrl(runId, '/cancel'),
    reason === undefined ? {} : { reason },
  );
}

/**
 * Submits a run that retries this one's failed work; the new run's
 * `run.submitted` event (with `retryOf`) confirms it.
 *
 * @returns the new run's id.
 * @throws ApiError 403 for a viewer, 409 when the run has not finished.
 */
export async function retryRun(runId: string): Promise<string> {
  const answer = await requestJson<{ runId: string }>(
    'POST',
    runUrl(runId, '/retry'),
    {},
  );
  return answer.runId;
}
