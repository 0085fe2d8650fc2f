/**
 * The runs list at `/`: filtered from the URL's query, paged with the
 * gateway's cursor, kept current by the live stream.
 */
import {
  foldSummary,
  type RunSummary,
  type SequencedRecord,
} from '@river/run-view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { live } from '../api/live.js';
import { fetchProjects, fetchRuns, type RunPage } from '../api/runs.js';
import { useLiveRecords } from '../api/use-live.js';
import { useRetryOnOutage } from '../api/use-retry.js';
import { navigate } from '../router.js';
import { useFrameRender } from '../use-frame-render.js';
import { useNow } from '../use-now.js';
import {
  filterFromQuery,
  matchesFilter,
  runsListHref,
} from './filter-query.js';
import { RunsFilters } from './runs-filters.js';
import { RunsTable } from './runs-table.js';
import './runs.css';

/** Props of {@link RunsPage}. */
export interface RunsPageProps {
  query: URLSearchParams;
}

/** The runs list page. */
export function RunsPage({ query }: RunsPageProps) {
  const { filter, limit, cursor } = filterFromQuery(query);
  const queryKey = query.toString();

  const [page, setPage] = useState<RunPage | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [projects, setProjects] = useState<string[]>([]);
  const [previousCursors, setPreviousCursors] = useState<string[]>([]);
  const [, scheduleRender] = useFrameRender();
  const [attempt, failed] = useRetryOnOutage();

  // Events that arrive while a page loads wait here, then apply on top.
  const waiting = useRef<SequencedRecord[] | undefined>([]);
  // Runs submitted after the page's snapshot that do not match (yet):
  // a later event (the project, once started) may make them match.
  const newcomers = useRef(new Map<string, RunSummary>());

  useEffect(() => {
    fetchProjects().then(setProjects, () => setProjects([]));
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    waiting.current = [];
    newcomers.current.clear();
    setError(undefined);
    fetchRuns(filter, { limit, cursor }, controller.signal).then(
      (loaded) => {
        const held = waiting.current ?? [];
        waiting.current = undefined;
        for (const record of held) applyRecord(loaded, record);
        setPage(loaded);
        live.watch({ after: loaded.seq });
      },
      (failure: Error) => {
        if (controller.signal.aborted) return;
        setError(failed(failure));
      },
    );
    return () => controller.abort();
  }, [queryKey, attempt]);

  const applyRecord = (target: RunPage, record: SequencedRecord) => {
    if (!record.event.type.startsWith('run.')) return;
    const runId = record.event.runId;
    const row = target.runs.find((run) => run.runId === runId);
    if (row) {
      foldSummary(row, record);
      return;
    }
    if (record.seq <= target.seq) return;

    const known = newcomers.current.get(runId);
    if (!known && record.event.type !== 'run.submitted') return;
    const summary = foldSummary(known, record);
    newcomers.current.set(runId, summary);
    // Only the first page shows the newest runs.
    if (cursor === undefined && matchesFilter(filter, summary)) {
      newcomers.current.delete(runId);
      const at = target.runs.findIndex(
        (run) => run.submittedAt < summary.submittedAt,
      );
      target.runs.splice(at === -1 ? target.runs.length : at, 0, summary);
      target.total++;
    }
  };

  useLiveRecords((record) => {
    if (waiting.current) {
      waiting.current.push(record);
      return;
    }
    if (!page) return;
    applyRecord(page, record);
    scheduleRender();
  });

  const anyRunning =
    page?.runs.some((run) => run.finishedAt === undefined) ?? false;
  const now = useNow(anyRunning);

  const changeFilter = (next: typeof filter) => {
    setPreviousCursors([]);
    navigate(runsListHref(next, { limit }));
  };
  const nextPage = () => {
    if (!page?.cursor) return;
    setPreviousCursors([...previousCursors, cursor ?? '']);
    navigate(runsListHref(filter, { limit, cursor: page.cursor }));
  };
  const previousPage = () => {
    const back = previousCursors.at(-1);
    setPreviousCursors(previousCursors.slice(0, -1));
    navigate(runsListHref(filter, { limit, cursor: back || undefined }));
  };

  return (
    <section class="runs-page" aria-labelledby="runs-heading">
      <h1 id="runs-heading">Runs</h1>
      <RunsFilters
        filter={filter}
        projects={projects}
        onChange={changeFilter}
      />
      {error ? (
        <p role="alert" class="error">
          The runs could not be listed: {error}
        </p>
      ) : null}
      <p class="list-count" aria-live="polite">
        {page ? `${page.total} matching runs` : 'Loading runs…'}
      </p>
      {page && page.runs.length === 0 ? (
        <p class="empty">No run matches these filters.</p>
      ) : null}
      {page && page.runs.length > 0 ? (
        <RunsTable runs={page.runs} now={now} />
      ) : null}
      <nav class="pager" aria-label="Pages of runs">
        <button
          type="button"
          onClick={previousPage}
          disabled={cursor === undefined}
        >
          Previous
        </button>
        <button type="button" onClick={nextPage} disabled={!page?.cursor}>
          Next
        </button>
      </nav>
    </section>
  );
}
