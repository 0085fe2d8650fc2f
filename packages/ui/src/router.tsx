/**
 * A small router over the History API: real paths for pages, the query
 * string for their state, the hash left to the pages (log lines).
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The page the URL names. */
export type Route =
  | { page: 'runs' }
  | { page: 'run'; runId: string }
  | { page: 'log'; runId: string; taskId: string }
  | { page: 'not-found' };

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', notify);

/**
 * Goes to `href` (a path with its query) without reloading; `replace`
 * rewrites the current history entry instead of adding one, for state
 * such as filters that Back should not step through one by one.
 */
export function navigate(href: string, options: { replace?: boolean } = {}) {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  notify();
}

/** The current URL; the component re-renders when it changes. */
export function useLocation(): URL {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((version) => version + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return new URL(window.location.href);
}

/** The page a path names. */
export function matchRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'runs' };
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'runs' || parts[1] === undefined) {
    return { page: 'not-found' };
  }
  if (parts.length === 2) return { page: 'run', runId: parts[1] };
  if (parts.length === 5 && parts[2] === 'tasks' && parts[4] === 'log') {
    return { page: 'log', runId: parts[1], taskId: parts[3] ?? '' };
  }
  return { page: 'not-found' };
}

/** The path of a run's page, with its query. */
export function runPath(runId: string, query: Record<string, string> = {}) {
  const search = new URLSearchParams(query).toString();
  return `/runs/${encodeURIComponent(runId)}${search ? `?${search}` : ''}`;
}

/** The path of a task attempt's log page. */
export function logPath(runId: string, taskId: string, attempt?: number) {
  const base = `/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(
    taskId,
  )}/log`;
  return attempt === undefined ? base : `${base}?attempt=${attempt}`;
}

/** Props of {@link Link}: an anchor's, with `href` required. */
export type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & {
  href: string;
  children?: ComponentChildren;
};

/**
 * An anchor that navigates inside the app; a click with a modifier key
 * (new tab, new window) is left to the browser.
 */
export function Link({ href, onClick, ...rest }: LinkProps) {
  const follow = (event: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (typeof onClick === 'function') onClick(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...rest} />;
}
