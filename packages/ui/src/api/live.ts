/**
 * The tab's one Server-Sent Events connection to `/api/stream`: pages say
 * what they watch (every run's lifecycle, or one run in full) and listen;
 * the header shows whether it is live.
 */
import type { EventRecord, SequencedRecord } from '@river/run-view';

/**
 * Whether live updates arrive: `nats-unreachable` means the stream to the
 * gateway is open but the gateway has lost NATS, so none come for now.
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'live'
  | 'nats-unreachable'
  | 'reconnecting';

/** What the stream follows: `runId` adds that run's every event. */
export interface WatchTarget {
  runId?: string | undefined;
  /** Start after this sequence: the snapshot's `seq`. */
  after?: number | undefined;
}

type RecordListener = (record: SequencedRecord) => void;
type StateListener = (state: ConnectionState) => void;

/** How long to wait before opening again a stream the browser gave up. */
const REOPEN_DELAY_MS = 2_000;

/**
 * How long a hidden tab keeps its stream. Browsers allow six connections
 * to a host over HTTP/1.1, and every tab's stream holds one: background
 * tabs let theirs go, and take up again from the last event they saw.
 */
const HIDDEN_CLOSE_MS = 10_000;

/**
 * One EventSource at a time, re-opened when the watched run changes.
 * The browser reconnects by itself with `Last-Event-ID`; when it gives
 * up (the gateway answered with an error), the stream opens again after
 * the last sequence it saw, so nothing is missed or repeated.
 */
export class LiveStream {
  private source: EventSource | undefined;
  private watchedRunId: string | undefined;
  private lastSeq: number | undefined;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private currentState: ConnectionState = 'idle';
  /** What the open stream last said of the gateway's link to NATS. */
  private gatewayReachesNats = true;
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  /** Closed while the tab is hidden, to be opened again when shown. */
  private suspended = false;
  private readonly recordListeners = new Set<RecordListener>();
  private readonly stateListeners = new Set<StateListener>();

  /** Whether live updates arrive now. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /**
   * Follows `target`. The same run (or none) as now keeps the open
   * connection, since a page's snapshot older than the stream's position
   * loses nothing: folds ignore what they have seen.
   */
  watch(target: WatchTarget): void {
    if (this.source && target.runId === this.watchedRunId) return;
    this.close();
    this.watchedRunId = target.runId;
    this.lastSeq = target.after;
    this.open();
  }

  /** Closes the connection, for sign-out or a page that waits. */
  close(): void {
    this.suspended = false;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.source?.close();
    this.source = undefined;
    this.setState('idle');
  }

  /** Calls `listener` with every event; returns the unsubscribe. */
  subscribe(listener: RecordListener): () => void {
    this.recordListeners.add(listener);
    return () => {
      this.recordListeners.delete(listener);
    };
  }

  /** Calls `listener` on every change of state; returns the unsubscribe. */
  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /**
   * Lets a hidden tab's stream go after a while and opens it again from
   * the last sequence seen when the tab shows.
   */
  followVisibility(): void {
    document.addEventListener('visibilitychange', () => {
      clearTimeout(this.hiddenTimer);
      if (document.visibilityState === 'hidden') {
        this.hiddenTimer = setTimeout(() => {
          if (this.source === undefined) return;
          this.close();
          this.suspended = true;
        }, HIDDEN_CLOSE_MS);
      } else if (this.suspended) {
        this.suspended = false;
        this.open();
      }
    });
  }

  private open(): void {
    const params = new URLSearchParams();
    if (this.watchedRunId !== undefined) params.set('run', this.watchedRunId);
    if (this.lastSeq !== undefined) params.set('after', String(this.lastSeq));
    const query = params.toString();
    const source = new EventSource(`/api/stream${query ? `?${query}` : ''}`);
    this.source = source;
    this.setState('connecting');

    source.onopen = () => this.setState(this.openState());
    source.addEventListener('river', (message) => this.receive(message));
    source.addEventListener('nats', (message) => {
      this.gatewayReachesNats = isReachable(message.data);
      this.setState(this.openState());
    });
    // The gateway's events stream was emptied or made again: what the
    // page shows no longer matches it, so the page loads afresh.
    source.addEventListener('reset', () => window.location.reload());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        if (this.source === source) this.scheduleReopen();
      } else {
        this.setState('reconnecting');
      }
    };
  }

  private scheduleReopen(): void {
    this.source = undefined;
    this.setState('reconnecting');
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => this.open(), REOPEN_DELAY_MS);
  }

  private receive(message: MessageEvent<string>): void {
    const seq = Number(message.lastEventId);
    let event: EventRecord;
    try {
      event = JSON.parse(message.data) as EventRecord;
    } catch {
      return;
    }
    if (Number.isFinite(seq)) this.lastSeq = seq;
    this.setState(this.openState());
    const record: SequencedRecord = { seq, event };
    for (const listener of this.recordListeners) listener(record);
  }

  /** The state while the stream to the gateway is open. */
  private openState(): ConnectionState {
    return this.gatewayReachesNats ? 'live' : 'nats-unreachable';
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

/** Whether a `nats` event's data says the gateway reaches NATS. */
function isReachable(data: string): boolean {
  try {
    return (JSON.parse(data) as { reachable?: unknown }).reachable !== false;
  } catch {
    return true;
  }
}

/** The tab's stream. */
export const live = new LiveStream();
live.followVisibility();
