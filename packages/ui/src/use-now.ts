/** A clock that ticks while something on the page is still running. */
import { useEffect, useState } from 'preact/hooks';

/** The current time, refreshed every `intervalMs` while `ticking`. */
export function useNow(ticking: boolean, intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [ticking, intervalMs]);
  return now;
}
