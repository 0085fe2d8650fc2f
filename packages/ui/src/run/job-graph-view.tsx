/**
 * The run's job graph: the gateway's layout drawn by {@link JobGraph},
 * coloured by the jobs' statuses as the run's events tell them.
 */
import type { GraphLayout, JobStatus, RunDetail } from '@river/run-view';
import { useMemo } from 'preact/hooks';
import { JobGraph } from '../graph/index.js';

/** Props of {@link JobGraphView}. */
export interface JobGraphViewProps {
  /** The gateway's layout of the graph; undefined while it loads. */
  layout: GraphLayout | undefined;
  detail: RunDetail;
  /** Changes whenever the run's state does. */
  version: number;
  failedOnly: boolean;
  selectedJob: string | undefined;
  onSelectJob: (job: string) => void;
}

/** The graph, or a word while its layout loads. */
export function JobGraphView(props: JobGraphViewProps) {
  const { layout, detail, version } = props;
  // A new object on each change of the run, which the graph compares.
  const statuses = useMemo(() => {
    const found: Record<string, JobStatus> = {};
    for (const job of detail.jobs) found[job.name] = job.status;
    return found;
  }, [detail, version]);
  if (layout === undefined) {
    return <p class="empty">Laying the graph out…</p>;
  }
  if (layout.nodes.length === 0) {
    return <p class="empty">No job has started yet.</p>;
  }
  return (
    <div class="job-graph-frame">
      <JobGraph
        layout={layout}
        statuses={statuses}
        failedOnly={props.failedOnly}
        selected={props.selectedJob}
        onSelectJob={props.onSelectJob}
      />
    </div>
  );
}
