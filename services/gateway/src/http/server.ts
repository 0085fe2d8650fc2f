import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { isNatsTimeout, type Logger } from '@river/protocol/internal';
import type { TokenTable } from '../tokens.js';
import { type GraphSources, getRunGraph } from './graph-api.js';
import { type LiveStreamSources, serveLiveStream } from './live-stream.js';
import { handleLogRequest, type LogApiSources } from './log-api.js';
import { idParam } from './params.js';
import { HttpError, sendJson } from './respond.js';
import {
  cancelRun,
  getRun,
  getRunEvents,
  listRuns,
  type RunsApiSources,
  retryRun,
} from './runs-api.js';
import { handleSession, requireRole } from './session.js';
import { serveUi } from './static-files.js';

/** Everything the HTTP server answers from. */
export interface ServerSources
  extends RunsApiSources,
    LiveStreamSources,
    LogApiSources,
    GraphSources {
  tokens: TokenTable;
  uiDir: string;
  log: Logger;
}

const RUN_PATH = /^\/api\/runs\/([^/]+)(?:\/(.*))?$/;
const TASK_LOG_PATH = /^tasks\/([^/]+)\/log(?:\/(search|raw))?$/;

/** The gateway's HTTP server: the API, the live streams and the UI. */
export function createGatewayServer(sources: ServerSources): Server {
  return createServer((req, res) => {
    const natsMark = sources.nats.mark();
    handle(req, res, sources).catch((error: unknown) =>
      fail(res, asNatsOutage(error, sources, natsMark), req, sources.log),
    );
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  sources: ServerSources,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const path = url.pathname;
  if (!path.startsWith('/api/')) {
    await serveUi(req, res, sources.uiDir, decodedPath(path));
    return;
  }
  if (path === '/api/session') {
    await handleSession(req, res, sources.tokens);
    return;
  }
  const role = requireRole(req, sources.tokens);
  const method = req.method ?? 'GET';
  const get = method === 'GET' || method === 'HEAD';

  if (path === '/api/stream' && get) {
    serveLiveStream(req, res, url, sources);
    return;
  }
  if (path === '/api/runs' && get) {
    listRuns(res, url, sources);
    return;
  }
  if (path === '/api/projects' && get) {
    sendJson(res, 200, { projects: sources.index.projects() });
    return;
  }
  const match = RUN_PATH.exec(path);
  if (match !== null) {
    const runId = idParam(match[1] as string, 'run');
    const rest = match[2] ?? '';
    if (rest === '' && get) {
      await getRun(res, runId, sources);
      return;
    }
    if (rest === 'events' && get) {
      await getRunEvents(res, url, runId, sources);
      return;
    }
    if (rest === 'graph' && get) {
      await getRunGraph(res, runId, sources);
      return;
    }
    if (rest === 'cancel' && method === 'POST') {
      await cancelRun(req, res, runId, role, sources);
      return;
    }
    if (rest === 'retry' && method === 'POST') {
      await retryRun(req, res, runId, role, sources);
      return;
    }
    const log = TASK_LOG_PATH.exec(rest);
    if (log !== null && get) {
      const taskId = idParam(log[1] as string, 'task');
      await handleLogRequest(res, url, runId, taskId, log[2], sources);
      return;
    }
  }
  throw new HttpError(404, `No ${method} ${path} in the API.`);
}

function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new HttpError(400, `The path ${path.slice(0, 200)} is malformed.`);
  }
}

/**
 * A request that failed while the gateway could not reach NATS, or that
 * NATS did not answer in time (a server that hangs is noticed as lost only
 * after two missed pings), failed for that reason: a 503 that says so,
 * which the UI tries again, rather than a 500.
 */
function asNatsOutage(
  error: unknown,
  sources: ServerSources,
  natsMark: number,
): unknown {
  if (error instanceof HttpError) {
    return error;
  }
  const cause = (error as Error).message ?? String(error);
  if (sources.nats.lostSince(natsMark)) {
    return new HttpError(
      503,
      `The gateway could not reach NATS; try again once it is back (${cause}).`,
    );
  }
  if (isNatsTimeout(error)) {
    return new HttpError(
      503,
      `NATS did not answer the gateway in time; try again shortly (${cause}).`,
    );
  }
  return error;
}

function fail(
  res: ServerResponse,
  error: unknown,
  req: IncomingMessage,
  log: Logger,
): void {
  const known = error instanceof HttpError;
  if (!known) {
    log.error(
      { method: req.method, path: req.url, err: error },
      'Request failed',
    );
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(
    res,
    known ? error.status : 500,
    {
      error: known
        ? error.message
        : `The gateway could not answer: ${(error as Error).message ?? error}`,
    },
    known && error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
  );
}
