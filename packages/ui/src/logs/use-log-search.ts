/**
 * The search box's state: the query runs on the server, which counts
 * every hit; next and previous step through the hit lines it listed.
 */
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'preact/hooks';
import { type LogSearchResult, type LogTarget, searchLog } from './log-api.js';
import { nextHitIndex } from './search-steps.js';

/** What the search shows and the actions it offers. */
export interface LogSearch {
  /** The query as typed. */
  query: string;
  setQuery: (query: string) => void;
  matchCase: boolean;
  setMatchCase: (matchCase: boolean) => void;
  /** The query of the shown result. */
  searched: string | undefined;
  result: LogSearchResult | undefined;
  pending: boolean;
  error: string | undefined;
  /** Index in `result.lines` of the hit line stood on. */
  hitIndex: number | undefined;
  /** Matches to mark in the visible rows. */
  highlight: RegExp | undefined;
  run: () => void;
  clear: () => void;
  /**
   * Step to the next (`1`) or previous (`-1`) hit line; the first step
   * goes to the first hit at or after `fromLine` (or before it).
   * Returns the line, or `undefined` without hits.
   */
  step: (direction: 1 | -1, fromLine: number) => number | undefined;
}

/** Search state for the log of `target`. */
export function useLogSearch(target: LogTarget): LogSearch {
  const [query, setQuery] = useState('');
  const [matchCase, setMatchCase] = useState(false);
  const [searched, setSearched] = useState<
    { query: string; matchCase: boolean } | undefined
  >(undefined);
  const [result, setResult] = useState<LogSearchResult | undefined>();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [hitIndex, setHitIndex] = useState<number | undefined>();
  const running = useRef<AbortController | undefined>(undefined);

  const clear = useCallback(() => {
    running.current?.abort();
    setSearched(undefined);
    setResult(undefined);
    setPending(false);
    setError(undefined);
    setHitIndex(undefined);
  }, []);

  const { runId, taskId, attempt } = target;
  // A search belongs to one log: another attempt starts afresh.
  useEffect(() => clear, [runId, taskId, attempt, clear]);

  const run = useCallback(() => {
    running.current?.abort();
    if (query === '') {
      clear();
      return;
    }
    const controller = new AbortController();
    running.current = controller;
    setPending(true);
    setError(undefined);
    searchLog({ runId, taskId, attempt }, query, matchCase, controller.signal)
      .then((found) => {
        setSearched({ query, matchCase });
        setResult(found);
        setHitIndex(undefined);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) {
          setError(
            failure instanceof Error ? failure.message : String(failure),
          );
        }
      })
      .finally(() => {
        if (running.current === controller) {
          setPending(false);
        }
      });
  }, [query, matchCase, runId, taskId, attempt, clear]);

  const step = useCallback(
    (direction: 1 | -1, fromLine: number) => {
      const lines = result?.lines ?? [];
      if (lines.length === 0) {
        return undefined;
      }
      const next = nextHitIndex(lines, hitIndex, direction, fromLine);
      setHitIndex(next);
      return lines[next];
    },
    [result, hitIndex],
  );

  const highlight = useMemo(
    () =>
      searched
        ? new RegExp(
            escapeRegExp(searched.query),
            searched.matchCase ? 'g' : 'gi',
          )
        : undefined,
    [searched],
  );

  return {
    query,
    setQuery,
    matchCase,
    setMatchCase,
    searched: searched?.query,
    result,
    pending,
    error,
    hitIndex,
    highlight,
    run,
    clear,
    step,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
