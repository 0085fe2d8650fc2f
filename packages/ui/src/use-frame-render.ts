/**
 * Re-renders at most once per animation frame, however many live events
 * arrive in it: the events mutate state in place, then one render shows
 * them all.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** A version number that changes on render, and the scheduler for it. */
export function useFrameRender(): [number, () => void] {
  const [version, setVersion] = useState(0);
  const frame = useRef<number | undefined>(undefined);

  useEffect(
    () => () => {
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );

  const schedule = useCallback(() => {
    if (frame.current !== undefined) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = undefined;
      setVersion((value) => value + 1);
    });
  }, []);

  return [version, schedule];
}
