/**
 * The app: the session (a `#token=` in the URL signs in, then leaves
 * the address bar), the banner, and the page the path names.
 */
import { useEffect, useState } from 'preact/hooks';
import { setUnauthorizedHandler } from './api/http.js';
import { live } from './api/live.js';
import { fetchSession, type Role, signIn, signOut } from './api/session.js';
import { Link, matchRoute, useLocation } from './router.js';
import { LogPage } from './run/log-page.js';
import { RunPage } from './run/run-page.js';
import { RunsPage } from './runs/runs-page.js';
import { Header } from './shell/header.js';
import { RoleContext } from './shell/session-context.js';
import { SignIn } from './shell/sign-in.js';

type Session =
  | { state: 'checking' }
  | { state: 'signed-out'; message?: string }
  | { state: 'signed-in'; role: Role };

const TOKEN_HASH = /^#token=(.+)$/;

/**
 * Signs in with a token given in the URL's hash, and removes it from the
 * address bar and history whatever the answer.
 */
async function signInFromHash(): Promise<Role | 'refused' | undefined> {
  const match = TOKEN_HASH.exec(window.location.hash);
  if (!match?.[1]) return undefined;
  const token = decodeURIComponent(match[1]);
  history.replaceState(
    history.state,
    '',
    window.location.pathname + window.location.search,
  );
  try {
    return await signIn(token);
  } catch {
    return 'refused';
  }
}

async function startSession(): Promise<Session> {
  const fromHash = await signInFromHash();
  if (fromHash === 'refused') {
    return {
      state: 'signed-out',
      message: 'The token in the link was not accepted.',
    };
  }
  if (fromHash) return { state: 'signed-in', role: fromHash };
  const role = await fetchSession();
  return role ? { state: 'signed-in', role } : { state: 'signed-out' };
}

/** The whole app. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const location = useLocation();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      live.close();
      setSession({ state: 'signed-out', message: 'Your session ended.' });
    });
    const start = () =>
      startSession().then(setSession, (failure: Error) =>
        setSession({ state: 'signed-out', message: failure.message }),
      );
    void start();
    // A link with a token opened in a tab that shows the app already.
    const onHash = () => {
      if (TOKEN_HASH.test(window.location.hash)) void start();
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const leave = async () => {
    live.close();
    try {
      await signOut();
    } finally {
      setSession({ state: 'signed-out' });
    }
  };

  const role = session.state === 'signed-in' ? session.role : undefined;
  return (
    <RoleContext.Provider value={role ?? 'viewer'}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header role={role} onSignOut={leave} />
      <main id="main" tabIndex={-1}>
        {session.state === 'checking' ? <p>Loading…</p> : null}
        {session.state === 'signed-out' ? (
          <SignIn
            message={session.message}
            onSignedIn={(signedIn) =>
              setSession({ state: 'signed-in', role: signedIn })
            }
          />
        ) : null}
        {session.state === 'signed-in' ? <Page location={location} /> : null}
      </main>
    </RoleContext.Provider>
  );
}

function Page({ location }: { location: URL }) {
  const route = matchRoute(location.pathname);
  const query = location.searchParams;
  switch (route.page) {
    case 'runs':
      return <RunsPage query={query} />;
    case 'run':
      return <RunPage key={route.runId} runId={route.runId} query={query} />;
    case 'log':
      return (
        <LogPage runId={route.runId} taskId={route.taskId} query={query} />
      );
    default:
      return (
        <section aria-labelledby="missing-heading">
          <h1 id="missing-heading">Page not found</h1>
          <p>
            <Link href="/">Back to the runs</Link>
          </p>
        </section>
      );
  }
}
