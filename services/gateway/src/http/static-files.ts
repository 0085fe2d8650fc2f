import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { HttpError, SAFETY_HEADERS } from './respond.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built UI of the `@river/ui` package, next to this one. */
export function defaultUiDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@river/ui/package.json')), 'dist');
}

/**
 * Serves the built UI: its files, and `index.html` for any other path,
 * since the UI routes by path. Hashed assets are cached for good; the page
 * itself is checked each time so that a new release shows at once.
 *
 * @throws HttpError 405 for a method other than GET or HEAD, 404 for a
 *   missing asset, 503 when the UI was not built.
 */
export async function serveUi(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  pathname: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} is not allowed here.`);
  }
  const relative = normalize(pathname).replace(/^([/\\])+/, '');
  const file = join(root, relative);
  const inside = file === root || file.startsWith(root + sep);
  const found = inside ? await fileSize(file) : undefined;
  if (found !== undefined) {
    send(req, res, file, found, relative.startsWith(`assets${sep}`));
    return;
  }
  if (relative.startsWith(`assets${sep}`) || extname(relative) !== '') {
    throw new HttpError(404, `No file ${pathname} in the UI.`);
  }
  const index = join(root, 'index.html');
  const size = await fileSize(index);
  if (size === undefined) {
    throw new HttpError(
      503,
      `The UI is not built (no ${index}): run npm run build.`,
    );
  }
  send(req, res, index, size, false);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  size: number,
  immutable: boolean,
): void {
  res.writeHead(200, {
    ...SAFETY_HEADERS,
    'Content-Type':
      CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': immutable
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
