import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, gzipSync } from 'node:zlib';

/** The largest request body the API reads. */
const MAX_BODY_BYTES = 16 * 1024;

/** A request the API refuses: its status and a message saying why. */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** Headers every response carries: no sniffing, framing or referrers. */
export const SAFETY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  // Styles come from the bundle and from style attributes (positions of
  // virtualised rows); scripts only from the bundle.
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
} as const;

/**
 * Bodies from this size on are compressed for a browser that takes gzip:
 * a big graph's layout shrinks about five times, at a few milliseconds'
 * work on the fastest level.
 */
const COMPRESS_FROM_BYTES = 32 * 1024;

/** Sends `body` as JSON, never cached; gzipped when large and accepted. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = Buffer.from(JSON.stringify(body));
  const gzip =
    text.length >= COMPRESS_FROM_BYTES &&
    /\bgzip\b/.test(String(res.req.headers['accept-encoding'] ?? ''));
  const sent = gzip ? gzipSync(text, { level: constants.Z_BEST_SPEED }) : text;
  res.writeHead(status, {
    ...SAFETY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': sent.length,
    'Cache-Control': 'no-store',
    Vary: 'Accept-Encoding',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    ...headers,
  });
  res.end(sent);
}

/**
 * Reads a JSON object body. An empty body reads as `{}`.
 *
 * @throws HttpError 415 when it is not JSON, 413 when too large, 400 when
 *   it does not parse to an object.
 */
export async function readJsonBody(
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  // A JSON content type cannot be sent cross-site without a preflight,
  // which the gateway never grants: a forged form post is refused here.
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'Send the request body as application/json.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(
        413,
        `The request body is over ${MAX_BODY_BYTES} bytes.`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    return {};
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      `The request body is not JSON: ${(error as Error).message}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
