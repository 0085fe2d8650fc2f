/**
 * The Graph tab: the job graph (laid out by the gateway), a "Failed only"
 * filter, and the panel of the job clicked (`?job=` in the URL).
 */
import type { RunDetail } from '@river/run-view';
import { useEffect, useState } from 'preact/hooks';
import { fetchRunGraph } from '../api/runs.js';
import { JobGraphView } from './job-graph-view.js';
import { JobPanel } from './job-panel.js';

/** Props of {@link GraphTab}. */
export interface GraphTabProps {
  detail: RunDetail;
  version: number;
  /** The job whose panel is open. */
  selectedJob: string | undefined;
  onSelectJob: (job: string | undefined) => void;
}

/** The graph and the job panel beside it. */
export function GraphTab(props: GraphTabProps) {
  const { detail, selectedJob, onSelectJob } = props;
  const runId = detail.summary.runId;
  const [layout, setLayout] = useState<unknown>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [failedOnly, setFailedOnly] = useState(false);
  const jobCount = detail.jobs.length;

  // The layout changes only with the graph's shape: fetch again when the
  // run's jobs become known.
  useEffect(() => {
    const controller = new AbortController();
    setError(undefined);
    fetchRunGraph(runId, controller.signal).then(setLayout, (failure) => {
      if (!controller.signal.aborted) setError((failure as Error).message);
    });
    return () => controller.abort();
  }, [runId, jobCount]);

  const job = detail.jobs.find((each) => each.name === selectedJob);

  return (
    <div class="graph-tab">
      <div class="graph-main">
        <label class="check">
          <input
            type="checkbox"
            checked={failedOnly}
            onChange={(event) => setFailedOnly(event.currentTarget.checked)}
          />
          Failed only
        </label>
        {error ? (
          <p class="error" role="alert">
            The graph could not be loaded: {error}
          </p>
        ) : null}
        <JobGraphView
          layout={layout}
          detail={detail}
          version={props.version}
          failedOnly={failedOnly}
          selectedJob={selectedJob}
          onSelectJob={onSelectJob}
        />
      </div>
      {job ? (
        <JobPanel
          detail={detail}
          job={job}
          onClose={() => onSelectJob(undefined)}
        />
      ) : null}
    </div>
  );
}
