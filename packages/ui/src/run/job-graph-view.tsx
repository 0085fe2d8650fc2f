/**
 * Where the job graph component goes. Until it is part of the app, the
 * jobs show as a list of buttons, with the same props and behaviour.
 */
import type { RunDetail } from '@river/run-view';
import { StatusLabel } from '../components/status.js';

/** Props of {@link JobGraphView}. */
export interface JobGraphViewProps {
  /** The gateway's layout of the graph; undefined while it loads. */
  layout: unknown;
  detail: RunDetail;
  version: number;
  failedOnly: boolean;
  selectedJob: string | undefined;
  onSelectJob: (job: string) => void;
}

/** The run's jobs, each opening its panel. */
export function JobGraphView(props: JobGraphViewProps) {
  const jobs = props.failedOnly
    ? props.detail.jobs.filter((job) => job.status === 'failed')
    : props.detail.jobs;
  if (jobs.length === 0) {
    return (
      <p class="empty">
        {props.failedOnly ? 'No job failed.' : 'No job has started yet.'}
      </p>
    );
  }
  return (
    <ul class="job-grid" aria-label="Jobs">
      {jobs.map((job) => (
        <li key={job.name}>
          <button
            type="button"
            class="job-node"
            aria-pressed={props.selectedJob === job.name}
            onClick={() => props.onSelectJob(job.name)}
          >
            <span class="job-node-name">{job.name}</span>
            <StatusLabel status={job.status} />
          </button>
        </li>
      ))}
    </ul>
  );
}
