/** A status as an icon and a word, never colour alone. */

/** Every status a run, job, task or attempt can show. */
export type AnyStatus =
  | 'submitted'
  | 'waiting'
  | 'requested'
  | 'queued'
  | 'dispatched'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'skipped'
  | 'lost';

const ICONS: Record<AnyStatus, string> = {
  submitted: '○',
  waiting: '○',
  requested: '○',
  queued: '◔',
  dispatched: '◑',
  running: '▶',
  retrying: '↻',
  succeeded: '✓',
  failed: '✕',
  cancelled: '⊘',
  skipped: '↷',
  lost: '✕',
};

/** The colour family a status belongs to, as a CSS class suffix. */
export function statusTone(status: string): string {
  switch (status) {
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'lost':
      return 'bad';
    case 'running':
    case 'dispatched':
    case 'retrying':
      return 'busy';
    case 'cancelled':
    case 'skipped':
      return 'muted';
    default:
      return 'wait';
  }
}

/** Props of {@link StatusLabel}. */
export interface StatusLabelProps {
  status: string;
  /** Added to the visible word for screen readers, e.g. "run". */
  context?: string;
}

/** A status's icon and its name, coloured by its tone. */
export function StatusLabel({ status, context }: StatusLabelProps) {
  const icon = ICONS[status as AnyStatus] ?? '•';
  return (
    <span class={`status status-${statusTone(status)}`}>
      <span class="status-icon" aria-hidden="true">
        {icon}
      </span>
      {context ? <span class="visually-hidden">{context} </span> : null}
      {status}
    </span>
  );
}
