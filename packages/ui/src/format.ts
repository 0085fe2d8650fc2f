/** How times, durations and messages read everywhere in the UI. */
import { visibleText } from '@river/run-view';

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * A duration as people say it: `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`.
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < SECOND_MS) return `${Math.round(ms)} ms`;
  if (ms < MINUTE_MS) return `${(ms / SECOND_MS).toFixed(1)} s`;
  if (ms < HOUR_MS) {
    const minutes = Math.floor(ms / MINUTE_MS);
    const seconds = Math.floor((ms % MINUTE_MS) / SECOND_MS);
    return `${minutes} m ${String(seconds).padStart(2, '0')} s`;
  }
  const hours = Math.floor(ms / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / MINUTE_MS);
  return `${hours} h ${String(minutes).padStart(2, '0')} m`;
}

/** A moment as local date and time to the second, `–` when unknown. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '–';
  const date = new Date(ms);
  const day = date.toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
  return `${day} ${formatClock(ms)}`;
}

/** Time of day with milliseconds, for event rows. */
export function formatClock(ms: number, withMs = false): string {
  const date = new Date(ms);
  const clock = [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
  if (!withMs) return clock;
  return `${clock}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** A moment as an ISO string for `<time datetime>`. */
export function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * The value a `datetime-local` input shows for a moment, in local time.
 */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const date = new Date(ms);
  const offsetMs = date.getTimezoneOffset() * MINUTE_MS;
  return new Date(ms - offsetMs).toISOString().slice(0, 16);
}

/** The moment a `datetime-local` input's value names, if any. */
export function fromLocalInput(value: string): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * A message from a run (a job's error, an attempt's reason) as a terminal
 * would show it: a tool's coloured error text keeps its words and loses
 * its escape sequences, which would show as stray boxes.
 */
export function shownMessage(text: string): string {
  return text.split('\n').map(visibleText).join('\n');
}
