/**
 * The log of one task attempt, however long: only the rows in view are
 * rendered and only their blocks fetched; links select lines, the search
 * runs on the server, and a log still being written is followed.
 */
import type { JSX } from 'preact';
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'preact/hooks';
import { navigate } from '../router.js';
import './log-viewer.css';
import { AttemptPicker } from './attempt-picker.js';
import { copyText } from './copy-text.js';
import {
  extendSelection,
  formatLineHash,
  type LineRange,
  parseLineHash,
} from './line-hash.js';
import { logUrl } from './log-api.js';
import { LogPane, type ScrollTarget } from './log-pane.js';
import { LogSearchBar } from './log-search-bar.js';
import { LogSession } from './log-session.js';
import { useLogSearch } from './use-log-search.js';

/** Props of {@link LogViewer}. */
export interface LogViewerProps {
  runId: string;
  taskId: string;
  /** The attempt to show; the task's last when absent. */
  attempt?: number | undefined;
}

/** Lines fetched around a linked line before the view knows its size. */
const FIRST_FETCH_MARGIN = 64;

const count = new Intl.NumberFormat('en');

/**
 * The log viewer of `/runs/<runId>/tasks/<taskId>/log?attempt=n`; the
 * URL's hash `#L820` or `#L820-L830` selects lines.
 */
export function LogViewer(props: LogViewerProps): JSX.Element {
  const { runId, taskId } = props;
  const [attempt, setAttempt] = useState(props.attempt);
  useEffect(() => setAttempt(props.attempt), [props.attempt]);

  const [version, setVersion] = useState(0);
  const session = useMemo(
    () =>
      new LogSession({ runId, taskId, attempt }, () =>
        setVersion((value) => value + 1),
      ),
    [runId, taskId, attempt],
  );
  useEffect(() => () => session.close(), [session]);

  const [selection, setSelection] = useState(() =>
    parseLineHash(location.hash),
  );
  const [scrollTarget, setScrollTarget] = useState<ScrollTarget | undefined>(
    () => (selection ? { line: selection.start, seq: 1 } : undefined),
  );
  const [following, setFollowing] = useState(selection === undefined);
  const [pausedByScroll, setPausedByScroll] = useState(false);
  const [copied, setCopied] = useState('');
  const viewport = useRef({ first: 1, last: 1 });
  const [rowsInView, setRowsInView] = useState(40);

  const scrollTo = useCallback((line: number) => {
    setFollowing(false);
    setScrollTarget((target) => ({ line, seq: (target?.seq ?? 0) + 1 }));
  }, []);

  // The first fetch: around the linked line, or the start of the log.
  useEffect(() => {
    const linked = parseLineHash(location.hash);
    const center = linked?.start ?? 1;
    session.show(
      Math.max(1, center - FIRST_FETCH_MARGIN),
      center + FIRST_FETCH_MARGIN,
    );
  }, [session]);

  useEffect(() => {
    const onHashChange = () => {
      const range = parseLineHash(location.hash);
      setSelection(range);
      if (range) {
        scrollTo(range.start);
      }
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [scrollTo]);

  const known = session.totalLines !== undefined;
  const isFollowing = following && !session.complete;
  // A log followed until it completes stays at its end (its last lines
  // come with the answer that says complete); one opened complete starts
  // at its top.
  const followedLive = useRef<LogSession | undefined>(undefined);
  if (known && isFollowing) {
    followedLive.current = session;
  }
  const pinnedToEnd =
    known && following && (isFollowing || followedLive.current === session);
  useEffect(() => {
    if (known) {
      session.follow(isFollowing ? rowsInView + 64 : 1);
    }
  }, [session, known, isFollowing, rowsInView]);

  const target = { runId, taskId, attempt: session.attempt };
  const search = useLogSearch(target);

  const onStep = useCallback(
    (direction: 1 | -1) => {
      const line = search.step(direction, viewport.current.first);
      if (line !== undefined) {
        scrollTo(line);
      }
    },
    [search, scrollTo],
  );

  const onLineClick = useCallback(
    (line: number, extend: boolean) => {
      const range = extendSelection(selection, line, extend);
      setSelection(range);
      setFollowing(false);
      history.replaceState(
        history.state,
        '',
        `${location.pathname}${location.search}${formatLineHash(range)}`,
      );
    },
    [selection],
  );

  const onViewport = useCallback((first: number, last: number) => {
    viewport.current = { first, last };
    setRowsInView(Math.max(1, last - first + 1));
  }, []);

  const onScrolledBack = useCallback(() => {
    setFollowing(false);
    setPausedByScroll(true);
  }, []);

  const resume = useCallback(() => {
    setFollowing(true);
    setPausedByScroll(false);
  }, []);

  const onEndKey = useCallback(() => {
    if (!session.complete) {
      resume();
    }
  }, [session, resume]);

  const onRowsShown = useCallback(
    (first: number, last: number) => session.show(first, last),
    [session],
  );

  const copyLink = async () => {
    const done = await copyText(location.href);
    setCopied(done ? 'Link copied' : 'Copy failed: select the address bar');
  };

  const lineAt = useCallback(
    (line: number) => session.store.line(line),
    [session],
  );
  const currentLine =
    search.hitIndex === undefined
      ? undefined
      : search.result?.lines[search.hitIndex];
  const label = `Log of task ${taskId}${session.attempt ? `, attempt ${session.attempt}` : ''}`;

  return (
    <section class="log-viewer" aria-label="Task log">
      <div class="log-toolbar">
        <LogSearchBar search={search} onStep={onStep} />
        <div class="log-actions">
          <button
            type="button"
            aria-pressed={isFollowing}
            disabled={session.complete}
            onClick={() => (isFollowing ? setFollowing(false) : resume())}
          >
            Follow
          </button>
          <AttemptPicker
            runId={runId}
            taskId={taskId}
            attempt={session.attempt}
            onChange={(next) => {
              setAttempt(next);
              setSelection(undefined);
              setFollowing(true);
              navigate(attemptUrl(next));
            }}
          />
          <button type="button" onClick={copyLink} disabled={!selection}>
            Copy link
          </button>
          <a
            class="log-download"
            href={logUrl(target, '/raw')}
            download={`${taskId}-attempt-${session.attempt ?? 'last'}.log`}
          >
            Download raw log
          </a>
        </div>
      </div>
      <p class="log-status">
        {statusText(session, isFollowing, selection)}
        <span role="status">{copied ? ` · ${copied}` : ''}</span>
      </p>
      {session.error ? (
        <p class="log-error" role="alert">
          {session.error}
        </p>
      ) : null}
      <div class="log-frame">
        <LogPane
          key={`${runId}/${taskId}/${attempt ?? ''}`}
          label={label}
          totalLines={session.totalLines ?? 0}
          lineAt={lineAt}
          version={version}
          selection={selection}
          currentLine={currentLine}
          highlight={search.highlight}
          pinnedToEnd={pinnedToEnd}
          scrollTarget={scrollTarget}
          onRowsShown={onRowsShown}
          onViewport={onViewport}
          onScrolledBack={onScrolledBack}
          onEndKey={onEndKey}
          onLineClick={onLineClick}
        />
        {pausedByScroll && !isFollowing && !session.complete ? (
          <button type="button" class="log-resume" onClick={resume}>
            Resume following
          </button>
        ) : null}
      </div>
    </section>
  );
}

function statusText(
  session: LogSession,
  following: boolean,
  selection: LineRange | undefined,
): string {
  if (session.totalLines === undefined) {
    return session.error ? 'The log could not be loaded' : 'Loading log…';
  }
  const parts = [
    `${count.format(session.totalLines)} ${session.totalLines === 1 ? 'line' : 'lines'}`,
  ];
  parts.push(
    session.complete ? 'complete' : following ? 'following' : 'still running',
  );
  if (selection) {
    parts.push(
      selection.start === selection.end
        ? `line ${count.format(selection.start)} selected`
        : `lines ${count.format(selection.start)}–${count.format(selection.end)} selected`,
    );
  }
  return parts.join(' · ');
}

function attemptUrl(attempt: number): string {
  const query = new URLSearchParams(location.search);
  query.set('attempt', String(attempt));
  return `${location.pathname}?${query}`;
}
