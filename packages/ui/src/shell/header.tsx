/** The app's banner: the name, the live connection, the role, sign out. */
import type { ConnectionState } from '../api/live.js';
import type { Role } from '../api/session.js';
import { useConnectionState } from '../api/use-live.js';
import { Link } from '../router.js';

const CONNECTION_WORDS: Record<ConnectionState, string> = {
  idle: 'not connected',
  connecting: 'connecting',
  live: 'live',
  'nats-unreachable': 'NATS unreachable',
  reconnecting: 'reconnecting',
};

/** Props of {@link Header}. */
export interface HeaderProps {
  role: Role | undefined;
  onSignOut: () => void;
}

/** The banner at the top of every page. */
export function Header({ role, onSignOut }: HeaderProps) {
  const connection = useConnectionState();
  return (
    <header class="app-header">
      <Link href="/" class="brand">
        River
      </Link>
      {role ? (
        <nav aria-label="Main">
          <Link href="/">Runs</Link>
        </nav>
      ) : null}
      <div class="header-end">
        {role ? (
          <>
            <span
              class={`connection connection-${connection}`}
              role="status"
              aria-label={`Live updates: ${CONNECTION_WORDS[connection]}`}
            >
              <span class="connection-dot" aria-hidden="true" />
              {CONNECTION_WORDS[connection]}
            </span>
            <span class="role">
              Signed in as <strong>{role}</strong>
            </span>
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </>
        ) : null}
      </div>
    </header>
  );
}
