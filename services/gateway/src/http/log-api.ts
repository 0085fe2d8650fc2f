import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import {
  decode,
  encode,
  type LogQuery,
  type LogQueryReply,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import type { RunSnapshots } from '../run-snapshots.js';
import { integerParam } from './params.js';
import { HttpError, SAFETY_HEADERS, sendJson } from './respond.js';

/** How long the gateway waits for the log-collector's answer. */
const QUERY_TIMEOUT_MS = 10_000;
/** Bytes of chunk data asked for per page of a download. */
const DOWNLOAD_PAGE_BYTES = 512 * 1024;
/** The longest search text the log-collector takes. */
const MAX_SEARCH_LENGTH = 200;

/** What the log routes read through. */
export interface LogApiSources {
  connection: RiverConnection;
  snapshots: RunSnapshots;
}

type Query = Omit<LogQuery, 'schema' | 'runId' | 'taskId'>;

/**
 * Asks the log-collector.
 *
 * @throws HttpError 503 when no collector answers, 400 with the
 *   collector's words when it refuses the query.
 */
async function ask(
  { nc }: RiverConnection,
  runId: string,
  taskId: string,
  query: Query,
): Promise<LogQueryReply> {
  let data: Uint8Array;
  try {
    const reply = await nc.request(
      Subjects.logQuery,
      encode('logQuery', { schema: SCHEMA_VERSION, runId, taskId, ...query }),
      { timeout: QUERY_TIMEOUT_MS },
    );
    data = reply.data;
  } catch (error) {
    throw new HttpError(
      503,
      `No log-collector answered (${(error as Error).message}); is one ` +
        'running?',
    );
  }
  const reply = decode('logQueryReply', Subjects.logQuery, data);
  if (reply.error !== undefined) {
    throw new HttpError(400, reply.error);
  }
  return reply;
}

/**
 * `GET .../tasks/<taskId>/log`: lines from `from` or the last `tail`;
 * `.../log/search`: the exact count of a text's hits and the lines that
 * hold them; `.../log/raw`: the whole output as a download.
 */
export async function handleLogRequest(
  res: ServerResponse,
  url: URL,
  runId: string,
  taskId: string,
  kind: string | undefined,
  sources: LogApiSources,
): Promise<void> {
  const attempt = integerParam(url, 'attempt', { min: 1, max: 1_000 });
  const attemptField = attempt === undefined ? {} : { attempt };
  if (kind === 'raw') {
    await download(res, runId, taskId, attempt, sources);
    return;
  }
  if (kind === 'search') {
    const text = url.searchParams.get('q') ?? '';
    if (text === '' || text.length > MAX_SEARCH_LENGTH) {
      throw new HttpError(
        400,
        `q must hold 1 to ${MAX_SEARCH_LENGTH} characters to search for.`,
      );
    }
    const reply = await ask(sources.connection, runId, taskId, {
      ...attemptField,
      search: text,
      caseSensitive: url.searchParams.get('case') === '1',
      maxHits:
        integerParam(url, 'limit', { min: 1, max: 10_000, default: 1_000 }) ??
        1_000,
    });
    sendJson(res, 200, {
      hits: reply.hits ?? 0,
      matchingLines: reply.matchingLines ?? 0,
      lines: reply.hitLines ?? [],
      complete: reply.complete ?? false,
      attempt: reply.attempt,
    });
    return;
  }
  const tail = integerParam(url, 'tail', { min: 1, max: 5_000 });
  const reply = await ask(
    sources.connection,
    runId,
    taskId,
    tail === undefined
      ? {
          ...attemptField,
          line:
            integerParam(url, 'from', { min: 1, max: 2 ** 50, default: 1 }) ??
            1,
          lines:
            integerParam(url, 'count', {
              min: 1,
              max: 5_000,
              default: 1_000,
            }) ?? 1_000,
        }
      : { ...attemptField, tail },
  );
  sendJson(res, 200, {
    firstLine: reply.firstLine ?? 1,
    lines: reply.lines ?? [],
    totalLines: reply.totalLines ?? 0,
    complete: reply.complete ?? false,
    attempt: reply.attempt,
  });
}

/** Streams one attempt's whole output, page by page, as a file. */
async function download(
  res: ServerResponse,
  runId: string,
  taskId: string,
  asked: number | undefined,
  { connection, snapshots }: LogApiSources,
): Promise<void> {
  const task = (await snapshots.get(runId))?.tasks[taskId];
  const attempt = asked ?? task?.attempts.at(-1)?.attempt;
  if (task === undefined || attempt === undefined) {
    throw new HttpError(404, `Run ${runId} has no task ${taskId} with a log.`);
  }
  let after: number | undefined;
  let started = false;
  do {
    const page = await ask(connection, runId, taskId, {
      attempt,
      maxBytes: DOWNLOAD_PAGE_BYTES,
      ...(after === undefined ? {} : { after }),
    });
    if (!started) {
      started = true;
      res.writeHead(200, {
        ...SAFETY_HEADERS,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="${runId}-${taskId}-${attempt}.log"`,
        'Cache-Control': 'no-store',
      });
    }
    for (const chunk of page.chunks) {
      if (!res.write(chunk.data)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    after = page.next;
  } while (after !== undefined && !res.destroyed);
  res.end();
}
