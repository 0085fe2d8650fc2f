/** The sign-in form: a token, traded for a session cookie. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { type Role, signIn } from '../api/session.js';

/** Props of {@link SignIn}. */
export interface SignInProps {
  onSignedIn: (role: Role) => void;
  /** Why the form shows, e.g. a token from the URL was refused. */
  message?: string | undefined;
}

/** The form shown while there is no session. */
export function SignIn({ onSignedIn, message }: SignInProps) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(message);
  const [busy, setBusy] = useState(false);

  const submit = async (event: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(token.trim()));
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'This token was not accepted.'
          : (failure as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading">Sign in</h1>
      <form onSubmit={submit}>
        <label class="field" for="sign-in-token">
          <span>Access token</span>
        </label>
        <input
          id="sign-in-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
}
