/**
 * The jobs of a group node, listed beside the graph with their statuses;
 * picking one selects that job.
 */
import type { GraphNode } from '@river/run-view';
import { useEffect, useRef } from 'preact/hooks';
import {
  countStatuses,
  describeCounts,
  type JobStatuses,
  STATUS_ORDER,
  STATUS_SYMBOL,
  statusOf,
} from './job-status.js';

/** Props of {@link GroupMembers}. */
export interface GroupMembersProps {
  group: GraphNode;
  statuses: JobStatuses;
  /** Lists only the failed members. */
  failedOnly: boolean;
  selected: string | undefined;
  onSelectJob(name: string): void;
  onClose(): void;
}

/** The members panel of an open group, the most urgent statuses first. */
export function GroupMembers(props: GroupMembersProps) {
  const { group, statuses, failedOnly, selected } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [group]);

  const rank = (job: string) => STATUS_ORDER.indexOf(statusOf(statuses, job));
  const members = group.jobs
    .filter((job) => !failedOnly || statusOf(statuses, job) === 'failed')
    .sort((a, b) => rank(a) - rank(b));

  return (
    <aside class="job-graph-members" aria-labelledby="job-graph-members-title">
      <div class="job-graph-members-head">
        <h2 id="job-graph-members-title" ref={heading} tabindex={-1}>
          {group.label}
        </h2>
        <button type="button" onClick={props.onClose} aria-label="Close">
          ×
        </button>
      </div>
      <p>{describeCounts(countStatuses(group, statuses))}</p>
      {failedOnly && members.length === 0 && <p>No failed job here.</p>}
      <ul>
        {members.map((job) => {
          const status = statusOf(statuses, job);
          return (
            <li key={job}>
              <button
                type="button"
                class={`is-${status}`}
                aria-current={job === selected ? 'true' : undefined}
                onClick={() => props.onSelectJob(job)}
              >
                <span aria-hidden="true">{STATUS_SYMBOL[status]}</span>
                <span class="job-graph-member-name">{job}</span>
                <span class="job-graph-member-status">{status}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
