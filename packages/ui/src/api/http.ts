/** JSON requests to the gateway's `/api`, with its errors as values. */

/** A refusal or failure answered by the gateway. */
export class ApiError extends Error {
  /** The HTTP status; 0 when the gateway could not be reached. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let onUnauthorized: (() => void) | undefined;

/**
 * Sets what happens when a call is refused for want of a session (the
 * cookie expired or was revoked): the app shows its sign-in form.
 */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * Sends a request and parses its JSON answer.
 *
 * @throws ApiError for an answer outside 2xx (with the gateway's
 *   `error` text) or when the gateway cannot be reached.
 */
export async function requestJson<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  if (signal) init.signal = signal;

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'The gateway could not be reached; try again.');
  }

  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/api/session')) {
      onUnauthorized?.();
    }
    const message =
      typeof parsed === 'object' && parsed !== null && 'error' in parsed
        ? String((parsed as { error: unknown }).error)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A query string from a record; undefined and empty values are left out. */
export function queryString(
  fields: Record<string, string | number | string[] | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(name, item);
    } else {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
