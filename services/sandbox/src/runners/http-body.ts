import type { IncomingMessage } from 'node:http';

/** The whole body of an HTTP answer, as text. */
export function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    response.on('data', (part: Buffer) => parts.push(part));
    response.once('end', () => resolve(Buffer.concat(parts).toString()));
    response.once('error', reject);
  });
}

/**
 * An API answer's body as JSON; the text itself when it is not JSON (an
 * error page of a proxy, say), `undefined` when it is empty.
 */
export function parseJson(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
