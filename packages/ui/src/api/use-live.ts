/** Preact hooks over the tab's live stream. */
import type { SequencedRecord } from '@river/run-view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ConnectionState, live } from './live.js';

/** The stream's connection state, re-rendering on each change. */
export function useConnectionState(): ConnectionState {
  const [state, setState] = useState(live.state);
  useEffect(() => live.onState(setState), []);
  return state;
}

/**
 * Calls `listener` with every live event while the component is
 * mounted; the latest `listener` is used without re-subscribing.
 */
export function useLiveRecords(listener: (record: SequencedRecord) => void) {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live.subscribe((record) => latest.current(record)), []);
}
