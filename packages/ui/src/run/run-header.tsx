/** A run's heading: its status, times, duration, error and actions. */
import type { RunSummary } from '@river/run-view';
import { StatusLabel } from '../components/status.js';
import {
  formatDuration,
  formatTime,
  isoTime,
  shownMessage,
} from '../format.js';
import { Link, runPath } from '../router.js';
import { runDuration } from '../runs/runs-table.js';
import { RunActions } from './run-actions.js';

/** Props of {@link RunHeader}. */
export interface RunHeaderProps {
  summary: RunSummary;
  now: number;
}

function Moment({ label, at }: { label: string; at: number | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {at === undefined ? (
          '–'
        ) : (
          <time dateTime={isoTime(at)}>{formatTime(at)}</time>
        )}
      </dd>
    </div>
  );
}

/** The run page's header. */
export function RunHeader({ summary, now }: RunHeaderProps) {
  return (
    <header class="run-header">
      <div class="run-title">
        <h1>
          Run <span class="mono">{summary.runId}</span>
        </h1>
        <StatusLabel status={summary.status} context="Run" />
        <RunActions summary={summary} />
      </div>
      <dl class="run-facts">
        <div>
          <dt>Project</dt>
          <dd>{summary.project ?? '–'}</dd>
        </div>
        <div>
          <dt>File</dt>
          <dd class="mono">{summary.file || '–'}</dd>
        </div>
        <Moment label="Submitted" at={summary.submittedAt} />
        <Moment label="Started" at={summary.startedAt} />
        <Moment label="Finished" at={summary.finishedAt} />
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(runDuration(summary, now))}</dd>
        </div>
        {summary.retryOf ? (
          <div>
            <dt>Retry of</dt>
            <dd>
              <Link href={runPath(summary.retryOf)} class="mono">
                {summary.retryOf}
              </Link>
            </dd>
          </div>
        ) : null}
      </dl>
      {summary.error ? (
        <p class="run-error">
          <strong>Error:</strong> {shownMessage(summary.error)}
        </p>
      ) : null}
    </header>
  );
}
