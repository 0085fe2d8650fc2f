/**
 * The failed jobs, listed so each is one click away however large the graph:
 * a list to pick from and a button that steps through them in graph order.
 */
import type { GraphLayout } from '@river/run-view';
import { useMemo, useState } from 'preact/hooks';
import { type JobStatuses, STATUS_SYMBOL } from './job-status.js';

/** Props of {@link FailedJobs}. */
export interface FailedJobsProps {
  layout: GraphLayout;
  statuses: JobStatuses;
  selected: string | undefined;
  /** Called with the failed job to show and select. */
  onJump(job: string): void;
}

/** The failed-jobs menu of the toolbar; nothing while no job has failed. */
export function FailedJobs(props: FailedJobsProps) {
  const { layout, statuses, selected, onJump } = props;
  const [open, setOpen] = useState(false);
  // Layout order (by column, then top to bottom) is the order a reader scans.
  const failed = useMemo(
    () =>
      layout.nodes.flatMap((node) =>
        node.jobs.filter((job) => statuses[job] === 'failed'),
      ),
    [layout, statuses],
  );
  if (failed.length === 0) return null;

  const next = failed[(failed.indexOf(selected ?? '') + 1) % failed.length];
  return (
    // biome-ignore lint/a11y/useSemanticElements: a toolbar group, not a form
    <div
      class="job-graph-failed"
      role="group"
      aria-label="Failed jobs"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && open) {
          event.stopPropagation();
          setOpen(false);
        }
      }}
      onFocusOut={(event) => {
        // Closes when the focus leaves the menu, not when it moves inside.
        const next = event.relatedTarget as Node | null;
        if (!next || !event.currentTarget.contains(next)) setOpen(false);
      }}
    >
      <button
        type="button"
        class="job-graph-failed-toggle"
        aria-expanded={open}
        aria-controls="job-graph-failed-list"
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">{STATUS_SYMBOL.failed}</span> {failed.length}{' '}
        failed {failed.length === 1 ? 'job' : 'jobs'}
      </button>
      <button type="button" onClick={() => next && onJump(next)}>
        Next failed
      </button>
      {open && (
        <ul id="job-graph-failed-list" class="job-graph-failed-list">
          {failed.map((job) => (
            <li key={job}>
              <button
                type="button"
                aria-current={job === selected ? 'true' : undefined}
                onClick={() => {
                  setOpen(false);
                  onJump(job);
                }}
              >
                {job}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
