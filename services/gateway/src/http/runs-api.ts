import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@river/protocol/internal';
import { isRunFinished, type RunDetail, type RunStatus } from '@river/run-view';
import type { RiverClient } from '@river/sdk/client';
import type { RunSnapshots } from '../run-snapshots.js';
import type { RunsIndex } from '../runs-index.js';
import type { Role } from '../tokens.js';
import { integerParam } from './params.js';
import { HttpError, readJsonBody, sendJson } from './respond.js';
import { requireOperator } from './session.js';

const STATUSES: readonly RunStatus[] = [
  'submitted',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

/** What the runs routes read and act through. */
export interface RunsApiSources {
  index: RunsIndex;
  snapshots: RunSnapshots;
  client: RiverClient;
  log: Logger;
}

/** `GET /api/runs`: a filtered page of the runs list. */
export function listRuns(
  res: ServerResponse,
  url: URL,
  { index }: RunsApiSources,
): void {
  const statuses = url.searchParams.getAll('status').filter((s) => s !== '');
  for (const status of statuses) {
    if (!STATUSES.includes(status as RunStatus)) {
      throw new HttpError(
        400,
        `status must be one of ${STATUSES.join(', ')}; it was ` +
          `${JSON.stringify(status.slice(0, 40))}.`,
      );
    }
  }
  const cursor = url.searchParams.get('cursor') ?? '';
  if (cursor !== '' && !/^\d{1,15}\.[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new HttpError(400, 'cursor must be one a previous page returned.');
  }
  const project = url.searchParams.get('project') ?? '';
  const text = (url.searchParams.get('q') ?? '').trim();
  const from = integerParam(url, 'from', { min: 0, max: 2 ** 50 });
  const to = integerParam(url, 'to', { min: 0, max: 2 ** 50 });
  sendJson(
    res,
    200,
    index.list({
      statuses: statuses as RunStatus[],
      limit:
        integerParam(url, 'limit', { min: 1, max: 200, default: 50 }) ?? 50,
      ...(project === '' ? {} : { project }),
      ...(text === '' ? {} : { text }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(cursor === '' ? {} : { cursor }),
    }),
  );
}

/**
 * A run's state.
 *
 * @throws HttpError 404 for a run with no events.
 */
export async function requireRun(
  runId: string,
  { snapshots }: RunsApiSources,
): Promise<RunDetail> {
  const detail = await snapshots.get(runId);
  if (detail === undefined) {
    throw new HttpError(404, `No run ${runId} is stored on this server.`);
  }
  return detail;
}

/** `GET /api/runs/<id>`: the run's state and the sequence it reflects. */
export async function getRun(
  res: ServerResponse,
  runId: string,
  sources: RunsApiSources,
): Promise<void> {
  const run = await requireRun(runId, sources);
  sendJson(res, 200, { run, seq: run.summary.seq });
}

/** `GET /api/runs/<id>/events`: a page of the run's raw history. */
export async function getRunEvents(
  res: ServerResponse,
  url: URL,
  runId: string,
  sources: RunsApiSources,
): Promise<void> {
  const after =
    integerParam(url, 'after', { min: 0, max: 2 ** 50, default: 0 }) ?? 0;
  const limit =
    integerParam(url, 'limit', { min: 1, max: 2_000, default: 500 }) ?? 500;
  const page = await sources.snapshots.events(runId, after, limit);
  if (after === 0 && page.events.length === 0) {
    throw new HttpError(404, `No run ${runId} is stored on this server.`);
  }
  sendJson(res, 200, page);
}

/**
 * `POST /api/runs/<id>/cancel`: asks every service to stop the run. The
 * run's `run.finished` event confirms it.
 */
export async function cancelRun(
  req: IncomingMessage,
  res: ServerResponse,
  runId: string,
  role: Role,
  sources: RunsApiSources,
): Promise<void> {
  requireOperator(role);
  const body = await readJsonBody(req);
  const run = await requireRun(runId, sources);
  if (isRunFinished(run.summary.status)) {
    throw new HttpError(
      409,
      `Run ${runId} has finished (${run.summary.status}); there is nothing ` +
        'to cancel.',
    );
  }
  const reason =
    typeof body.reason === 'string' && body.reason.trim() !== ''
      ? body.reason.trim().slice(0, 500)
      : 'cancelled from the web UI';
  await sources.client.cancel(runId, reason);
  sources.log.info({ runId, role, reason }, 'Run cancel requested');
  sendJson(res, 202, { requested: true });
}

/**
 * `POST /api/runs/<id>/retry`: submits a run that retries this one,
 * reusing its tasks that succeeded. The new run's `run.submitted`
 * confirms it.
 */
export async function retryRun(
  req: IncomingMessage,
  res: ServerResponse,
  runId: string,
  role: Role,
  sources: RunsApiSources,
): Promise<void> {
  requireOperator(role);
  await readJsonBody(req);
  const run = await requireRun(runId, sources);
  const { status } = run.summary;
  if (status !== 'failed' && status !== 'cancelled') {
    throw new HttpError(
      409,
      `Run ${runId} is ${status}: only a failed or cancelled run is retried.`,
    );
  }
  const retried = await sources.client.retry(runId);
  sources.log.info(
    { runId, retryRunId: retried.runId, role },
    'Run retry submitted',
  );
  sendJson(res, 202, { runId: retried.runId });
}
