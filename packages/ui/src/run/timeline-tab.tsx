/**
 * The Timeline tab: one row per job and per task attempt, bars on a time
 * axis from the run's start, running ones growing with the clock. Only
 * the rows in view are in the DOM.
 */
import type { RunDetail } from '@river/run-view';
import { useMemo, useState } from 'preact/hooks';
import { statusTone } from '../components/status.js';
import { VirtualList } from '../components/virtual-list.js';
import { formatDuration, formatTime } from '../format.js';
import { Link, logPath, navigate, runPath } from '../router.js';
import { useNow } from '../use-now.js';
import {
  axisTicks,
  type TimelineRow,
  timelineRows,
  timelineSpan,
} from './timeline-rows.js';
import './timeline.css';

/** Height of a timeline row in px; the CSS draws rows this high. */
const ROW_HEIGHT_PX = 28;
const TOOLTIP_ID = 'timeline-tooltip';

/** Props of {@link TimelineTab}. */
export interface TimelineTabProps {
  detail: RunDetail;
  version: number;
}

function rowKey(row: TimelineRow): string {
  return `${row.kind}\u0000${row.job}\u0000${row.taskId}\u0000${row.attempt}`;
}

interface Hover {
  key: string;
  row: TimelineRow;
  x: number;
  y: number;
}

function describe(row: TimelineRow, now: number): string {
  const kind = row.kind === 'job' ? 'Job' : 'Task attempt';
  const parts = [`${kind} ${row.label}: ${row.status}`];
  if (row.start !== undefined) {
    parts.push(`started ${formatTime(row.start)}`);
    parts.push(
      `${row.end === undefined ? 'running for' : 'took'} ${formatDuration(
        (row.end ?? now) - row.start,
      )}`,
    );
  }
  return parts.join(', ');
}

/** The timeline. */
export function TimelineTab({ detail, version }: TimelineTabProps) {
  const rows = useMemo(() => timelineRows(detail), [detail, version]);
  const running = detail.summary.finishedAt === undefined;
  const now = useNow(running);
  const span = timelineSpan(detail, now);
  const spanMs = span.end - span.start;
  const ticks = axisTicks(spanMs);
  const [hover, setHover] = useState<Hover | undefined>(undefined);

  const position = (row: TimelineRow) => {
    if (row.start === undefined) return undefined;
    const left = ((row.start - span.start) / spanMs) * 100;
    const right = (((row.end ?? now) - span.start) / spanMs) * 100;
    return {
      left: `${Math.max(0, left)}%`,
      width: `max(3px, ${Math.max(0, right - left)}%)`,
    };
  };

  const show = (row: TimelineRow, target: EventTarget | null) => {
    const rect = (target as Element).getBoundingClientRect();
    setHover({ key: rowKey(row), row, x: rect.left, y: rect.bottom + 4 });
  };
  const hide = () => setHover(undefined);

  const renderRow = (index: number) => {
    const row = rows[index];
    if (!row) return null;
    const place = position(row);
    const tone = statusTone(row.status);
    const active = hover?.key === rowKey(row);
    const handlers = {
      onMouseEnter: (event: MouseEvent) => show(row, event.currentTarget),
      onMouseLeave: hide,
      onFocus: (event: FocusEvent) => show(row, event.currentTarget),
      onBlur: hide,
      'aria-describedby': active ? TOOLTIP_ID : undefined,
      class: `bar bar-${tone}`,
      style: place,
    };
    const label = describe(row, now);
    return (
      <div class={`timeline-row timeline-${row.kind}`}>
        <div class="timeline-label">
          <span class="timeline-name" title={row.label}>
            {row.label}
          </span>
          <span class={`timeline-status status-${tone}`}>{row.status}</span>
        </div>
        <div class="timeline-track">
          {place === undefined ? null : row.kind === 'job' ? (
            <button
              type="button"
              aria-label={`${label}. Open the job's panel`}
              onClick={() =>
                navigate(
                  runPath(detail.summary.runId, { tab: 'graph', job: row.job }),
                )
              }
              {...handlers}
            />
          ) : (
            <Link
              href={logPath(
                detail.summary.runId,
                row.taskId ?? '',
                row.attempt,
              )}
              aria-label={`${label}. Open its log`}
              {...handlers}
            />
          )}
        </div>
      </div>
    );
  };

  return (
    <div class="timeline">
      <div class="timeline-axis" aria-hidden="true">
        <div class="timeline-label">Job / task attempt</div>
        <div class="timeline-track">
          {ticks.map((offset) => (
            <span
              key={offset}
              class="tick"
              style={{ left: `${(offset / spanMs) * 100}%` }}
            >
              +{formatDuration(offset)}
            </span>
          ))}
        </div>
      </div>
      {rows.length === 0 ? (
        <p class="empty">No job has started yet.</p>
      ) : (
        <VirtualList
          rowCount={rows.length}
          rowHeight={ROW_HEIGHT_PX}
          renderRow={renderRow}
          version={`${version}:${now}`}
          height="min(70vh, 720px)"
          label="Jobs and task attempts over time"
          class="timeline-rows"
        />
      )}
      {hover ? (
        <div
          id={TOOLTIP_ID}
          role="tooltip"
          class="tooltip"
          style={{ left: `${hover.x}px`, top: `${hover.y}px` }}
        >
          <strong>{hover.row.label}</strong> · {hover.row.status}
          <br />
          {hover.row.start === undefined
            ? 'Not started'
            : `${formatTime(hover.row.start)} · ${formatDuration(
                (hover.row.end ?? now) - hover.row.start,
              )}`}
          {hover.row.notes.map((note) => (
            <div key={note} class="tooltip-note">
              {note}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
