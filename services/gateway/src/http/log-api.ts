import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { isRunFinished } from '@river/run-view';
import { RiverError, RiverErrorCode } from '@river/sdk';
import type { RiverClient } from '@river/sdk/client';
import type { RunSnapshots } from '../run-snapshots.js';
import { integerParam } from './params.js';
import { HttpError, SAFETY_HEADERS, sendJson } from './respond.js';

/** The longest search text the log-collector takes. */
const MAX_SEARCH_LENGTH = 200;

/** What the log routes read through. */
export interface LogApiSources {
  client: RiverClient;
  snapshots: RunSnapshots;
}

/**
 * Runs a read of the log-collector, turning the client's errors into
 * answers: 404 for what is not there, 503 when no collector answers.
 */
async function asking<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof RiverError)) {
      throw error;
    }
    const status =
      error.code === RiverErrorCode.connection
        ? 503
        : error.code === RiverErrorCode.invalidArgument
          ? 400
          : 404;
    throw new HttpError(status, error.message);
  }
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
  const { client } = sources;
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
    const found = await asking(() =>
      client.searchLog(runId, taskId, text, {
        ...attemptField,
        caseSensitive: url.searchParams.get('case') === '1',
        maxHits:
          integerParam(url, 'limit', { min: 1, max: 10_000, default: 1_000 }) ??
          1_000,
      }),
    );
    if (found.hits === 0 && !found.complete) {
      await requireAttempt(runId, taskId, attempt, sources);
    }
    sendJson(res, 200, {
      hits: found.hits,
      matchingLines: found.matchingLines,
      lines: found.hitLines,
      complete: found.complete,
      attempt: found.attempt,
    });
    return;
  }
  const tail = integerParam(url, 'tail', { min: 1, max: 5_000 });
  const lines = await asking(() =>
    client.logLines(
      runId,
      taskId,
      tail === undefined
        ? {
            ...attemptField,
            from:
              integerParam(url, 'from', { min: 1, max: 2 ** 50, default: 1 }) ??
              1,
            count:
              integerParam(url, 'count', {
                min: 1,
                max: 5_000,
                default: 1_000,
              }) ?? 1_000,
          }
        : { ...attemptField, tail },
    ),
  );
  if (lines.totalLines === 0 && !lines.complete) {
    await requireAttempt(runId, taskId, attempt, sources);
  }
  sendJson(res, 200, lines);
}

/**
 * Checks, for an empty log that is not complete, that the attempt can
 * still write one: the log-collector cannot tell a task that has not
 * printed yet from one that never was, and a page would wait forever.
 *
 * @throws HttpError 404 for a run that is not stored, and for a task or
 *   attempt that its ended run does not hold.
 */
async function requireAttempt(
  runId: string,
  taskId: string,
  attempt: number | undefined,
  { snapshots }: LogApiSources,
): Promise<void> {
  const run = await snapshots.get(runId);
  if (run === undefined) {
    throw new HttpError(404, `No run ${runId} is stored on this server.`);
  }
  if (!isRunFinished(run.summary.status)) {
    return;
  }
  const task = run.tasks[taskId];
  if (task === undefined) {
    throw new HttpError(
      404,
      `Run ${runId} has no task ${taskId}; it has ended.`,
    );
  }
  if (attempt !== undefined) {
    requireAttemptRan(task, attempt, runId, taskId);
  }
}

/**
 * @throws HttpError 404 when `task` has no attempt `attempt`.
 */
function requireAttemptRan(
  task: { attempts: readonly { attempt: number }[] },
  attempt: number,
  runId: string,
  taskId: string,
): void {
  if (!task.attempts.some((each) => each.attempt === attempt)) {
    throw new HttpError(
      404,
      `Task ${taskId} of run ${runId} has no attempt ${attempt}; ` +
        `it ran ${task.attempts.length} time(s).`,
    );
  }
}

/** Streams one attempt's whole output, page by page, as a file. */
async function download(
  res: ServerResponse,
  runId: string,
  taskId: string,
  asked: number | undefined,
  { client, snapshots }: LogApiSources,
): Promise<void> {
  const task = (await snapshots.get(runId))?.tasks[taskId];
  const attempt = asked ?? task?.attempts.at(-1)?.attempt;
  if (task === undefined || attempt === undefined) {
    throw new HttpError(404, `Run ${runId} has no task ${taskId} with a log.`);
  }
  requireAttemptRan(task, attempt, runId, taskId);
  const chunks = client.logs(runId, { taskId, attempt });
  // The first page is read before the answer starts, so that a failure
  // is still an error status rather than a cut download.
  let next = await asking(() => chunks.next());
  res.writeHead(200, {
    ...SAFETY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Disposition': `attachment; filename="${runId}-${taskId}-${attempt}.log"`,
    'Cache-Control': 'no-store',
  });
  // One signal for every wait on a full socket: a wait that races
  // 'drain' against 'close' left a listener behind each time it ended.
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  while (next.done !== true && !res.destroyed) {
    if (!res.write(next.value.data)) {
      await once(res, 'drain', { signal: closed.signal }).catch(
        () => undefined,
      );
    }
    next = await chunks.next();
  }
  await chunks.return(undefined);
  res.end();
}
