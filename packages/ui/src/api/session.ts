/** Signing in and out against the gateway. */
import { ApiError, requestJson } from './http.js';

/** What a token may do: read, or read, cancel and retry. */
export type Role = 'viewer' | 'operator';

interface SessionAnswer {
  role: Role;
}

/**
 * The role of the current session, or undefined when there is none.
 *
 * @throws ApiError when the gateway fails for another reason.
 */
export async function fetchSession(): Promise<Role | undefined> {
  try {
    const answer = await requestJson<SessionAnswer>('GET', '/api/session');
    return answer.role;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

/**
 * Trades a token for a session cookie.
 *
 * @throws ApiError with status 401 when the token is wrong.
 */
export async function signIn(token: string): Promise<Role> {
  const answer = await requestJson<SessionAnswer>('POST', '/api/session', {
    token,
  });
  return answer.role;
}

/** Ends the session; the cookie is cleared by the gateway. */
export async function signOut(): Promise<void> {
  await requestJson<unknown>('DELETE', '/api/session');
}
