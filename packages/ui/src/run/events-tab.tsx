/**
 * The Events tab: the run's raw history, paged from the gateway oldest
 * first, then appended live; each row expands to its JSON. Only the rows
 * in view are in the DOM.
 */
import type { SequencedRecord } from '@river/run-view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchRunEvents } from '../api/runs.js';
import { useLiveRecords } from '../api/use-live.js';
import { VirtualList } from '../components/virtual-list.js';
import { formatClock } from '../format.js';
import { useFrameRender } from '../use-frame-render.js';
import './events.css';

/** Events per request, the most the gateway gives at once. */
const PAGE_SIZE = 2_000;
/** Height in px of a collapsed row, and of a line of expanded JSON. */
const ROW_HEIGHT_PX = 32;
const JSON_LINE_PX = 18;
const JSON_PADDING_PX = 20;

/** Props of {@link EventsTab}. */
export interface EventsTabProps {
  runId: string;
}

interface History {
  events: SequencedRecord[];
  /** Where the next page starts; undefined once the history is read. */
  next: number | undefined;
  /** Read every page there was. */
  done: boolean;
  /** Live events that arrived before the history was read. */
  held: SequencedRecord[];
}

function lastSeq(history: History): number {
  return history.events.at(-1)?.seq ?? 0;
}

function appendNewer(history: History, records: SequencedRecord[]): void {
  for (const record of records) {
    if (record.seq > lastSeq(history)) history.events.push(record);
  }
}

/** The events list. */
export function EventsTab({ runId }: EventsTabProps) {
  const history = useRef<History>({
    events: [],
    next: undefined,
    done: false,
    held: [],
  });
  const loading = useRef(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [expanded, setExpanded] = useState<Map<number, string>>(new Map());
  const [version, scheduleRender] = useFrameRender();

  const loadPage = async () => {
    const state = history.current;
    if (loading.current || state.done) return;
    loading.current = true;
    try {
      const page = await fetchRunEvents(runId, state.next, PAGE_SIZE);
      if (history.current !== state) return;
      appendNewer(state, page.events);
      state.next = page.next;
      if (page.next === undefined) {
        state.done = true;
        appendNewer(state, state.held);
        state.held = [];
      }
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      loading.current = false;
      scheduleRender();
    }
  };

  useEffect(() => {
    history.current = { events: [], next: undefined, done: false, held: [] };
    setExpanded(new Map());
    void loadPage();
  }, [runId]);

  useLiveRecords((record) => {
    if (record.event.runId !== runId) return;
    const state = history.current;
    if (state.done) appendNewer(state, [record]);
    else state.held.push(record);
    scheduleRender();
  });

  const { events, done } = history.current;

  const toggle = (record: SequencedRecord) => {
    const next = new Map(expanded);
    if (next.has(record.seq)) next.delete(record.seq);
    else next.set(record.seq, JSON.stringify(record.event, null, 2));
    setExpanded(next);
  };

  const rowHeight = (index: number) => {
    const record = events[index];
    const json = record ? expanded.get(record.seq) : undefined;
    if (json === undefined) return ROW_HEIGHT_PX;
    const lines = json.split('\n').length;
    return ROW_HEIGHT_PX + lines * JSON_LINE_PX + JSON_PADDING_PX;
  };

  const renderRow = (index: number) => {
    const record = events[index];
    if (!record) return null;
    const json = expanded.get(record.seq);
    const { type, runId: _runId, at, ...fields } = record.event;
    return (
      <div class="event-row">
        <div class="event-line">
          <span class="event-seq num">{record.seq}</span>
          <time class="event-time mono" dateTime={new Date(at).toISOString()}>
            {formatClock(at, true)}
          </time>
          <span class="event-type mono">{type}</span>
          <button
            type="button"
            class="link-button"
            aria-expanded={json !== undefined}
            onClick={() => toggle(record)}
          >
            {json === undefined ? 'Show JSON' : 'Hide JSON'}
            <span class="visually-hidden"> of event {record.seq}</span>
          </button>
          <span class="event-fields mono">{JSON.stringify(fields)}</span>
        </div>
        {json === undefined ? null : <pre class="event-json">{json}</pre>}
      </div>
    );
  };

  return (
    <div class="events-tab">
      <p class="list-count" aria-live="polite">
        {events.length} events{done ? '' : ' so far, more to load'}
      </p>
      {error ? (
        <p class="error" role="alert">
          The events could not be loaded: {error}
        </p>
      ) : null}
      <VirtualList
        rowCount={events.length}
        rowHeight={rowHeight}
        renderRow={renderRow}
        version={`${version}:${expanded.size}:${events.length}`}
        height="min(70vh, 720px)"
        label="Events of the run, oldest first"
        class="events-list"
        followEnd
        onNearEnd={() => void loadPage()}
      />
      {done ? null : (
        <button type="button" onClick={() => void loadPage()}>
          Load more events
        </button>
      )}
    </div>
  );
}
