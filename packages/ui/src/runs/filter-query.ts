/**
 * The runs list's filter and page as they live in the URL's query, and
 * whether a run matches the filter (for runs that arrive live).
 */
import type { RunStatus, RunSummary } from '@river/run-view';
import type { RunFilter } from '../api/runs.js';

/** Every run status, in the order the filter offers them. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'submitted',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

/** Runs per page unless the URL's `limit` says otherwise. */
export const DEFAULT_PAGE_SIZE = 50;
/** The most runs a page may ask the gateway for. */
const MAX_PAGE_SIZE = 200;

/** The filter, page size and page cursor a URL query names. */
export function filterFromQuery(query: URLSearchParams): {
  filter: RunFilter;
  limit: number;
  cursor: string | undefined;
} {
  const statuses = query
    .getAll('status')
    .filter((status): status is RunStatus =>
      RUN_STATUSES.includes(status as RunStatus),
    );
  const filter: RunFilter = { statuses };
  const project = query.get('project');
  if (project) filter.project = project;
  const text = query.get('q');
  if (text) filter.text = text;
  const from = Number(query.get('from'));
  if (query.get('from') && Number.isFinite(from)) filter.from = from;
  const to = Number(query.get('to'));
  if (query.get('to') && Number.isFinite(to)) filter.to = to;
  const asked = Number(query.get('limit'));
  const limit =
    Number.isInteger(asked) && asked >= 1
      ? Math.min(asked, MAX_PAGE_SIZE)
      : DEFAULT_PAGE_SIZE;
  return { filter, limit, cursor: query.get('cursor') ?? undefined };
}

/** The URL of the runs list for a filter, a page size and a cursor. */
export function runsListHref(
  filter: RunFilter,
  page: { limit?: number; cursor?: string | undefined } = {},
): string {
  const query = new URLSearchParams();
  for (const status of filter.statuses) query.append('status', status);
  if (filter.project) query.set('project', filter.project);
  if (filter.text) query.set('q', filter.text);
  if (filter.from !== undefined) query.set('from', String(filter.from));
  if (filter.to !== undefined) query.set('to', String(filter.to));
  if (page.limit !== undefined && page.limit !== DEFAULT_PAGE_SIZE) {
    query.set('limit', String(page.limit));
  }
  if (page.cursor) query.set('cursor', page.cursor);
  const text = query.toString();
  return text ? `/?${text}` : '/';
}

/** Whether a run belongs in the list the filter selects. */
export function matchesFilter(filter: RunFilter, run: RunSummary): boolean {
  if (filter.statuses.length > 0 && !filter.statuses.includes(run.status)) {
    return false;
  }
  if (filter.project && run.project !== filter.project) return false;
  if (filter.from !== undefined && run.submittedAt < filter.from) return false;
  if (filter.to !== undefined && run.submittedAt > filter.to) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = [run.runId, run.project ?? '', run.file];
    if (!haystack.some((field) => field.toLowerCase().includes(needle))) {
      return false;
    }
  }
  return true;
}
