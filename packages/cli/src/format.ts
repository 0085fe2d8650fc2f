import type { CacheOrigin, RunEvent } from '@river/protocol';

/** Seconds with one decimal, for durations in status lines. */
export function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)}s`;
}

/** `1 job`, `3 jobs`: a count with its noun in the right number. */
export function counted(
  count: number,
  noun: string,
  plural = `${noun}s`,
): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/** Longest reason shown on a status line. */
const BRIEF_CHARS = 100;

/** Reasons for a cache miss shown on its status line. */
const SHOWN_CHANGES = 3;

/** Hex digits of a cache key shown where the whole key would not fit. */
export const SHORT_KEY_CHARS = 12;

/** A cache key cut to {@link SHORT_KEY_CHARS}, as `river cache ls` shows. */
export function shortKey(key: string): string {
  return key.slice(0, SHORT_KEY_CHARS);
}

/** `812 B`, `3.4 KiB`, `12.0 MiB`: a size for people. */
export function bytesText(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1_024) {
    return `${bytes} B`;
  }
  let size = bytes / 1_024;
  let unit = 0;
  while (size >= 1_024 && unit < units.length - 1) {
    size /= 1_024;
    unit += 1;
  }
  return `${size.toFixed(1)} ${units[unit]}`;
}

/**
 * Rows as lines of aligned columns, two spaces apart, without trailing
 * blanks; the first row is the heading.
 */
export function tableLines(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Where a reused result came from: the origin run, and its task when
 * that has another id than the task that reused it.
 */
export function originText(origin: CacheOrigin, taskId: string): string {
  return origin.taskId === taskId
    ? origin.runId
    : `${origin.runId}/${origin.taskId}`;
}

/** A reason short enough for one status line, without its full stop. */
function brief(reason: string): string {
  const text = reason.replace(/\.$/, '');
  return text.length > BRIEF_CHARS ? `${text.slice(0, BRIEF_CHARS)}…` : text;
}

/** A time to the second, in UTC: `2026-12-05T08:30:00Z`. */
export function isoSecond(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
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
  if (event.cached !== undefined) {
    return `cached (from ${originText(event.cached, event.taskId)})`;
  }
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
    case 'run.submitted': {
      const notes = [
        event.file,
        event.retryOf === undefined ? '' : `retrying ${event.retryOf}`,
        event.untrustedScope === undefined
          ? ''
          : `untrusted, cache scope ${event.untrustedScope}`,
      ].filter((note) => note !== '');
      return `${time} run ${event.runId} submitted (${notes.join(', ')})`;
    }
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
    case 'task.cache':
      return `${time}   ${cacheText(event)}`;
    case 'task.queued':
      return `${time}   … ${event.taskId} queued: ${brief(event.reason)}`;
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

/** What the cache held for a task, as a status line shows it. */
function cacheText(event: Extract<RunEvent, { type: 'task.cache' }>): string {
  const { taskId, changes } = event;
  switch (event.result) {
    case 'hit': {
      const from =
        event.from === undefined ? '' : originText(event.from, taskId);
      return `= ${taskId} cache hit${from === '' ? '' : ` (from ${from})`}`;
    }
    case 'wait':
      return `… ${taskId} waits for an identical task${
        changes[0] === undefined ? '' : `: ${brief(changes[0])}`
      }`;
    default: {
      const shown = changes.slice(0, SHOWN_CHANGES).map(brief);
      const more = changes.length - shown.length;
      const why = [...shown, ...(more > 0 ? [`${more} more`] : [])];
      const reasons = why.length === 0 ? '' : `: ${why.join('; ')}`;
      return `≠ ${taskId} cache miss${reasons}`;
    }
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
