/**
 * The side panel of one job: its tasks, each attempt with its status and
 * a link to its log.
 */
import type { JobState, RunDetail } from '@river/run-view';
import { useEffect, useRef } from 'preact/hooks';
import { StatusLabel } from '../components/status.js';
import { formatDuration, shownMessage } from '../format.js';
import { Link, logPath } from '../router.js';
import { attemptStatus } from './attempt-status.js';

/** Props of {@link JobPanel}. */
export interface JobPanelProps {
  detail: RunDetail;
  job: JobState;
  onClose: () => void;
}

/** The job's panel; Escape or "Close" closes it. */
export function JobPanel({ detail, job, onClose }: JobPanelProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus follows the panel open, so keyboard users land in it.
  useEffect(() => heading.current?.focus(), [job.name]);

  const runId = detail.summary.runId;
  return (
    <aside
      class="job-panel"
      aria-labelledby="job-panel-heading"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <div class="job-panel-head">
        <h2 id="job-panel-heading" tabIndex={-1} ref={heading}>
          Job {job.name}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p>
        <StatusLabel status={job.status} context="Job" />
        {job.startedAt !== undefined ? (
          <span class="dim">
            {' '}
            · {formatDuration((job.finishedAt ?? Date.now()) - job.startedAt)}
          </span>
        ) : null}
      </p>
      {job.needs.length > 0 ? (
        <p class="dim">Needs: {job.needs.join(', ')}</p>
      ) : null}
      {job.error ? <p class="run-error">{shownMessage(job.error)}</p> : null}
      {job.taskIds.length === 0 ? <p>No task yet.</p> : null}
      <ul class="task-list">
        {job.taskIds.map((taskId) => {
          const task = detail.tasks[taskId];
          if (!task) return null;
          return (
            <li key={taskId}>
              <div class="task-head">
                <span class="task-name">{task.name}</span>
                <StatusLabel status={task.status} context="Task" />
                {task.cached ? <span class="tag">cached</span> : null}
              </div>
              <code class="task-command">{task.command}</code>
              {task.queuedReason ? (
                <p class="dim">Waiting: {task.queuedReason}</p>
              ) : null}
              <ol class="attempt-list">
                {task.attempts.map((attempt) => (
                  <li key={attempt.attempt}>
                    <Link href={logPath(runId, taskId, attempt.attempt)}>
                      Attempt {attempt.attempt} log
                      <span class="visually-hidden"> of {task.name}</span>
                    </Link>{' '}
                    <StatusLabel status={attemptStatus(task, attempt)} />
                    {attempt.startedAt !== undefined ? (
                      <span class="dim">
                        {' '}
                        {formatDuration(
                          (attempt.finishedAt ?? Date.now()) -
                            attempt.startedAt,
                        )}
                      </span>
                    ) : null}
                    {attempt.message ? (
                      <span class="dim">
                        {' '}
                        · {shownMessage(attempt.message)}
                      </span>
                    ) : null}
                  </li>
                ))}
              </ol>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
