/** The runs list's table: one row per run, a click opens it. */
import type { RunSummary } from '@river/run-view';
import { StatusLabel } from '../components/status.js';
import { formatDuration, formatTime, isoTime } from '../format.js';
import { Link, navigate, runPath } from '../router.js';

/** Props of {@link RunsTable}. */
export interface RunsTableProps {
  runs: RunSummary[];
  /** The clock for running runs' durations. */
  now: number;
}

/** How long a run took, or has taken so far. */
export function runDuration(run: RunSummary, now: number): number | undefined {
  if (run.durationMs !== undefined) return run.durationMs;
  const start = run.startedAt ?? run.submittedAt;
  const end = run.finishedAt ?? now;
  return Math.max(0, end - start);
}

/**
 * The table of runs. The id is a real link (keyboard, new tab); the rest
 * of the row opens the run on click as a convenience.
 */
export function RunsTable({ runs, now }: RunsTableProps) {
  return (
    <table class="runs-table">
      <caption class="visually-hidden">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Project</th>
          <th scope="col">Status</th>
          <th scope="col">Submitted</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr
            key={run.runId}
            class="clickable"
            data-run-id={run.runId}
            onClick={(event) => {
              if ((event.target as Element).closest('a')) return;
              navigate(runPath(run.runId));
            }}
          >
            <td>
              <Link href={runPath(run.runId)} class="mono">
                {run.runId}
              </Link>
            </td>
            <td>{run.project ?? <span class="dim">{run.file || '–'}</span>}</td>
            <td>
              <StatusLabel status={run.status} />
            </td>
            <td>
              <time dateTime={isoTime(run.submittedAt)}>
                {formatTime(run.submittedAt)}
              </time>
            </td>
            <td class="num">{formatDuration(runDuration(run, now))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
