/**
 * A task attempt's log page at `/runs/<id>/tasks/<taskId>/log`. The log
 * viewer reads the URL's hash (selected lines) itself.
 */
import { useEffect } from 'preact/hooks';
import { live } from '../api/live.js';
import { Link, runPath } from '../router.js';
import { LogView } from './log-view.js';
import './run.css';

/** Props of {@link LogPage}. */
export interface LogPageProps {
  runId: string;
  taskId: string;
  query: URLSearchParams;
}

/** The log page: where it belongs, then the viewer. */
export function LogPage({ runId, taskId, query }: LogPageProps) {
  // The viewer polls the log itself; the run's stream keeps the header's
  // word on live updates true, and the tab's stream on the right run.
  useEffect(() => live.watch({ runId }), [runId]);
  const asked = Number(query.get('attempt'));
  const attempt =
    query.get('attempt') && Number.isInteger(asked) && asked > 0
      ? asked
      : undefined;
  return (
    <section class="log-page" aria-labelledby="log-heading">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/">Runs</Link> ›{' '}
        <Link href={runPath(runId)} class="mono">
          {runId}
        </Link>{' '}
        › <span class="mono">{taskId}</span>
      </nav>
      <h1 id="log-heading">
        Log of task <span class="mono">{taskId}</span>
        {attempt === undefined ? '' : `, attempt ${attempt}`}
      </h1>
      <LogView runId={runId} taskId={taskId} attempt={attempt} />
    </section>
  );
}
