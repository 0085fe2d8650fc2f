import type { RunEvent } from '@river/protocol';

/** Seconds with one decimal, for durations in status lines. */
export function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)}s`;
}

/** `1 job`, `3 jobs`: a count with its noun in the right number. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Longest reason shown on a status line. */
const BRIEF_CHARS = 100;

/** A reason short enough for one status line, without its full stop. */
function brief(reason: string): string {
  const text = reason.replace(/\.$/, '');
  return text.length > BRIEF_CHARS ? `${text.slice(0, BRIEF_CHARS)}…` : text;
}

/** The time of day of an event, `hh:mm:ss` in UTC. */
export function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/** How a task's final attempt ended, in a few words. */
export function outcomeText(
  event: Extract<RunEvent, { type: 'task.finished' }>,
): string {
  const { outcome } = event;
  if (outcome.ok) {
    return `ok in ${seconds(outcome.durationMs)}`;
  }
  switch (outcome.reason) {
    case 'command-not-found':
      return `command not found (exit 127)${
        outcome.message ? `: ${outcome.message}` : ''
      }`;
    case 'cancelled':
      return 'cancelled with its run';
    case 'output-limit':
      return `stopped: ${outcome.message ?? 'it printed too much'}`;
    case 'timeout':
      return `timed out after ${seconds(outcome.durationMs)}, process tree killed`;
    case 'signaled':
      return `killed by ${outcome.signal}`;
    case 'exited':
      return `failed with exit code ${outcome.exitCode}`;
    default:
      return `failed (${outcome.reason}): ${outcome.message ?? ''}`;
  }
}

/**
 * One human line for an event, or undefined for events not worth a line.
 * Lines start with the event's time so that CI logs read as a timeline.
 */
export function describeEvent(event: RunEvent): string | undefined {
  const time = clock(event.at);
  switch (event.type) {
    case 'run.submitted':
      return `${time} run ${event.runId} submitted (${event.file})`;
    case 'run.started':
      return `${time} project ${event.project}: ${counted(event.jobs.length, 'job')}`;
    case 'job.started':
      return `${time} ▶ ${event.job}`;
    case 'job.log':
      return `${time}   ${event.job || 'project'}: ${event.message}`;
    case 'job.finished': {
      const mark = { succeeded: '✓', failed: '✗', skipped: '-' }[event.status];
      const detail = event.error === undefined ? '' : `: ${event.error}`;
      return `${time} ${mark} ${event.job} ${event.status} in ${seconds(
        event.durationMs,
      )}${detail}`;
    }
    case 'task.requested':
      return `${time}   · ${event.taskId} ${event.command}`;
    case 'task.retrying': {
      const after =
        event.delayMs === undefined ? '' : ` in ${seconds(event.delayMs)}`;
      const retry = `retrying as attempt ${event.attempt}${after}`;
      return `${time}   ↻ ${event.taskId} ${brief(event.reason)}; ${retry}`;
    }
    case 'run.resumed':
      return (
        `${time} run taken over by controller ${event.controllerId} ` +
        `(replayed ${event.replayedEvents} events)`
      );
    case 'task.lost':
      return `${time}   ! ${event.taskId} attempt ${event.attempt} lost: ${brief(event.reason)}`;
    case 'task.result-ignored':
      return (
        `${time}   ! ${event.taskId} late result of attempt ` +
        `${event.attempt} ignored: ${brief(event.reason)}`
      );
    case 'task.log-gap':
      return (
        `${time}   ! ${event.taskId} attempt ${event.attempt} log is ` +
        `missing chunks ${event.fromSeq}–${event.toSeq}`
      );
    case 'task.finished':
      return `${time}   ${event.outcome.ok ? '✓' : '✗'} ${event.taskId} ${outcomeText(event)}`;
    case 'run.finished':
      return `${time} run ${event.status} in ${seconds(event.durationMs)}${
        event.error === undefined ? '' : `: ${event.error}`
      }`;
    default:
      return undefined;
  }
}

/**
 * The last lines a failed task printed, from the output tail its event
 * carries (stderr last, where the reason usually is), so that a huge log
 * is never downloaded just to show its end.
 */
export function outputTail(
  event: Extract<RunEvent, { type: 'task.finished' }>,
  maxLines: number,
): string[] {
  const { stdout, stderr } = event.outcome;
  return [stdout, stderr]
    .flatMap((text) => (text === '' ? [] : text.trimEnd().split('\n')))
    .slice(-maxLines);
}
