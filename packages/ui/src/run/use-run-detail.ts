/**
 * A run's state: its snapshot, then every live event of the run folded in
 * with `foldRun`, rendering once per animation frame.
 */
import { foldRun, type RunDetail, type SequencedRecord } from '@river/run-view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { live } from '../api/live.js';
import { fetchRun } from '../api/runs.js';
import { useLiveRecords } from '../api/use-live.js';
import { useRetryOnOutage } from '../api/use-retry.js';
import { useFrameRender } from '../use-frame-render.js';

/** What {@link useRunDetail} gives. */
export interface RunDetailState {
  /** The run's state, changed in place as events arrive. */
  detail: RunDetail | undefined;
  /** Changes on every render caused by new events. */
  version: number;
  /** Why the run could not be shown. */
  error: string | undefined;
  /** The run does not exist. */
  missing: boolean;
}

/** Loads run `runId` and keeps it current; see the module's comment. */
export function useRunDetail(runId: string): RunDetailState {
  const detail = useRef<RunDetail | undefined>(undefined);
  // Events that arrive while the snapshot loads wait here.
  const waiting = useRef<SequencedRecord[] | undefined>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [missing, setMissing] = useState(false);
  const [version, scheduleRender] = useFrameRender();
  const [attempt, failed] = useRetryOnOutage();

  useEffect(() => {
    const controller = new AbortController();
    detail.current = undefined;
    waiting.current = [];
    setError(undefined);
    setMissing(false);
    fetchRun(runId, controller.signal).then(
      (snapshot) => {
        const held = waiting.current ?? [];
        waiting.current = undefined;
        detail.current = snapshot.run;
        for (const record of held) foldRun(snapshot.run, record);
        live.watch({ runId, after: snapshot.seq });
        scheduleRender();
      },
      (failure: Error) => {
        if (controller.signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 404) {
          setMissing(true);
        }
        setError(failed(failure));
      },
    );
    return () => controller.abort();
  }, [runId, scheduleRender, attempt, failed]);

  useLiveRecords((record) => {
    if (record.event.runId !== runId) return;
    if (waiting.current) {
      waiting.current.push(record);
      return;
    }
    if (!detail.current) return;
    foldRun(detail.current, record);
    scheduleRender();
  });

  return { detail: detail.current, version, error, missing };
}
