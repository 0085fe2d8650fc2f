import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role, TokenTable } from '../tokens.js';
import { HttpError, readJsonBody, sendJson } from './respond.js';

/** The cookie a signed-in browser sends its token in. */
export const SESSION_COOKIE = 'river_token';

/** A week; the token stays valid as long as the gateway lists it. */
const COOKIE_MAX_AGE_S = 7 * 24 * 60 * 60;

/** The token a request carries: a bearer header, else the cookie. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) {
      return cookieValue(value.join('='));
    }
  }
  return undefined;
}

/** A cookie's value decoded; malformed percent-encoding is kept as sent. */
function cookieValue(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Such a value is no token this gateway made: it is refused as one
    // that is not valid, not failed on.
    return text;
  }
}

/**
 * The role of the request's token.
 *
 * @throws HttpError 401 when it carries none, or one the gateway does
 *   not know.
 */
export function requireRole(req: IncomingMessage, tokens: TokenTable): Role {
  const role = tokens.roleOf(tokenOf(req));
  if (role === undefined) {
    throw new HttpError(
      401,
      tokenOf(req) === undefined
        ? 'Sign in with an access token.'
        : 'The access token is not valid here.',
    );
  }
  return role;
}

/**
 * Checks that the role may change runs.
 *
 * @throws HttpError 403 for a viewer.
 */
export function requireOperator(role: Role): void {
  if (role !== 'operator') {
    throw new HttpError(
      403,
      'Only an operator may cancel or retry runs; this token is a viewer’s.',
    );
  }
}

function cookie(value: string, maxAge: number, secure: boolean): string {
  return (
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; ` +
    `SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`
  );
}

function isSecure(req: IncomingMessage): boolean {
  return (
    req.headers['x-forwarded-proto'] === 'https' || 'encrypted' in req.socket
  );
}

/**
 * `/api/session`: POST signs in with `{ token }` (a cookie follows),
 * GET tells the role, DELETE signs out.
 */
export async function handleSession(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: TokenTable,
): Promise<void> {
  switch (req.method) {
    case 'POST': {
      const { token } = await readJsonBody(req);
      if (typeof token !== 'string' || token === '') {
        throw new HttpError(
          400,
          'Send the access token as {"token": "…"}, a non-empty string.',
        );
      }
      const role = tokens.roleOf(token);
      if (role === undefined) {
        throw new HttpError(401, 'The access token is not valid here.');
      }
      sendJson(
        res,
        200,
        { role },
        {
          'Set-Cookie': cookie(token, COOKIE_MAX_AGE_S, isSecure(req)),
        },
      );
      return;
    }
    case 'GET':
      sendJson(res, 200, { role: requireRole(req, tokens) });
      return;
    case 'DELETE':
      sendJson(
        res,
        200,
        { signedOut: true },
        {
          'Set-Cookie': cookie('', 0, isSecure(req)),
        },
      );
      return;
    default:
      throw new HttpError(405, `${req.method} is not allowed on /api/session.`);
  }
}
