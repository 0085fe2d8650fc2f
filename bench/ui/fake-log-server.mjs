/**
 * A stand-in for the gateway's log routes, answering from logs held in
 * memory: enough to develop and measure the web UI's log viewer alone.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

/** The visible text of a line: escapes removed, carriage returns applied. */
export function plainText(line) {
  const stripped = line.includes('\x1b') ? line.replace(ESCAPES, '') : line;
  if (!stripped.includes('\r')) {
    return stripped;
  }
  let shown = '';
  for (const part of stripped.replace(/\r+$/, '').split('\r')) {
    shown = part + shown.slice(part.length);
  }
  return shown;
}

/**
 * Serve `root` (a built UI) and the log routes of `logs`, a map from
 * `<runId>/<taskId>` to `{ lines: string[], complete: boolean }`.
 */
export async function startFakeLogServer(root, logs) {
  const server = createServer((request, response) => {
    handle(root, logs, request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function handle(root, logs, request, response) {
  const url = new URL(request.url, 'http://localhost');
  const route =
    /^\/api\/runs\/([^/]+)(?:\/tasks\/([^/]+)\/log(\/search|\/raw)?)?$/.exec(
      url.pathname,
    );
  if (!route) {
    return serveFile(root, url.pathname, response);
  }
  const [, runId, taskId, suffix] = route.map((part) =>
    part === undefined ? undefined : decodeURIComponent(part),
  );
  if (taskId === undefined) {
    const tasks = {};
    for (const key of logs.keys()) {
      const [run, task] = key.split('/');
      if (run === runId) {
        tasks[task] = {
          taskId: task,
          attempts: [{ attempt: 1 }, { attempt: 2 }],
        };
      }
    }
    return json(response, 200, { run: { tasks }, seq: 1 });
  }
  const log = logs.get(`${runId}/${taskId}`);
  if (!log) {
    return json(response, 404, { error: 'no such task' });
  }
  const params = url.searchParams;
  if (suffix === '/raw') {
    response.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="${taskId}.log"`,
    });
    for (let at = 0; at < log.lines.length; at += 10_000) {
      response.write(`${log.lines.slice(at, at + 10_000).join('\n')}\n`);
    }
    return response.end();
  }
  if (suffix === '/search') {
    return json(response, 200, search(log, params));
  }
  const total = log.lines.length;
  let from;
  let count;
  if (params.has('tail')) {
    count = Math.min(Number(params.get('tail')), 5_000);
    from = Math.max(1, total - count + 1);
  } else {
    from = Math.max(1, Number(params.get('from') ?? 1));
    count = Math.min(Number(params.get('count') ?? 500), 5_000);
  }
  return json(response, 200, {
    firstLine: from,
    lines: log.lines.slice(from - 1, from - 1 + count),
    totalLines: total,
    complete: log.complete,
    attempt: Number(params.get('attempt') ?? 2),
  });
}

function search(log, params) {
  const matchCase = params.get('case') === '1';
  const query = matchCase ? params.get('q') : params.get('q').toLowerCase();
  const limit = Math.min(Number(params.get('limit') ?? 1_000), 10_000);
  let hits = 0;
  let matchingLines = 0;
  const lines = [];
  for (let index = 0; index < log.lines.length; index++) {
    const visible = plainText(log.lines[index]);
    const text = matchCase ? visible : visible.toLowerCase();
    let found = 0;
    for (
      let at = text.indexOf(query);
      at !== -1;
      at = text.indexOf(query, at + query.length)
    ) {
      found++;
    }
    if (found > 0) {
      hits += found;
      matchingLines++;
      if (lines.length < limit) lines.push(index + 1);
    }
  }
  return { hits, matchingLines, lines, complete: log.complete };
}

async function serveFile(root, pathname, response) {
  const path = normalize(join(root, pathname));
  if (!path.startsWith(root)) {
    return json(response, 403, { error: 'outside the root' });
  }
  try {
    const body = await readFile(path);
    response.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
    });
    response.end(body);
  } catch {
    json(response, 404, { error: 'not found' });
  }
}

function json(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
