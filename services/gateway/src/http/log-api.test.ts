import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunDetail } from '@river/run-view';
import type { RiverClient } from '@river/sdk/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSnapshots } from '../run-snapshots.js';
import { handleLogRequest, type LogApiSources } from './log-api.js';
import { type HttpError, sendJson } from './respond.js';

const RUN = 'run-log-api';

/** A run that has ended, with task `build-1` run once. */
function endedRun(status: 'succeeded' | 'running' = 'succeeded'): RunDetail {
  return {
    summary: { runId: RUN, file: 'p.ts', status, submittedAt: 1, seq: 9 },
    jobs: [],
    tasks: {
      'build-1': {
        taskId: 'build-1',
        job: 'build',
        name: 'build-1',
        command: 'make',
        pool: 'default',
        status: 'succeeded',
        requestedAt: 1,
        attempts: [{ attempt: 1 }],
      },
    },
    eventCount: 9,
  } as RunDetail;
}

/** Log sources whose collector knows no log at all, as for a wrong task. */
function sources(run: RunDetail, chunks: Buffer[] = []): LogApiSources {
  const client = {
    logLines: async () => ({
      lines: [],
      firstLine: 1,
      totalLines: 0,
      complete: false,
    }),
    searchLog: async () => ({
      hits: 0,
      matchingLines: 0,
      hitLines: [],
      totalLines: 0,
      complete: false,
    }),
    async *logs() {
      for (const data of chunks) yield { data };
    },
  } as unknown as RiverClient;
  const snapshots = { get: async () => run } as unknown as RunSnapshots;
  return { client, snapshots };
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** Serves the log routes of `RUN` from `from`; `seen` gets each response. */
async function serve(
  from: LogApiSources,
  seen: (listeners: { close: number; error: number }) => void = () => {},
): Promise<string> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const [, , , , , taskId, , kind] = url.pathname.split('/');
    handleLogRequest(res, url, RUN, taskId as string, kind, from)
      .then(() =>
        seen({
          close: res.listenerCount('close'),
          error: res.listenerCount('error'),
        }),
      )
      .catch((error: HttpError) =>
        sendJson(res, error.status, { error: error.message }),
      );
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/api/runs/${RUN}/tasks`;
}

async function answer(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('the log routes', () => {
  it('answer 404 for a task or attempt that an ended run does not hold', async () => {
    const base = await serve(sources(endedRun()));
    expect(await answer(`${base}/nope-1/log`)).toEqual({
      status: 404,
      body: JSON.stringify({
        error: `Run ${RUN} has no task nope-1; it has ended.`,
      }),
    });
    expect((await answer(`${base}/nope-1/log/search?q=x`)).status).toBe(404);
    const noAttempt = await answer(`${base}/build-1/log?attempt=2`);
    expect(noAttempt.status).toBe(404);
    expect(noAttempt.body).toContain('has no attempt 2; it ran 1 time(s)');
    expect((await answer(`${base}/build-1/log/raw?attempt=9`)).status).toBe(
      404,
    );
  });

  it('let a page wait for the log of a run still going', async () => {
    const base = await serve(sources(endedRun('running')));
    const waiting = await answer(`${base}/later-1/log`);
    expect(waiting.status).toBe(200);
    expect(JSON.parse(waiting.body)).toMatchObject({ complete: false });
  });

  it('download a big log without leaving listeners behind', async () => {
    const chunks = Array.from({ length: 200 }, () =>
      Buffer.alloc(64 * 1024, 'a'),
    );
    let listeners = { close: -1, error: -1 };
    const base = await serve(sources(endedRun(), chunks), (seen) => {
      listeners = seen;
    });
    const bytes = await new Promise<number>((done, fail) => {
      get(`${base}/build-1/log/raw`, (res) => {
        let size = 0;
        res.on('data', (data: Buffer) => {
          size += data.length;
        });
        res.on('end', () => done(size));
      }).on('error', fail);
    });
    expect(bytes).toBe(200 * 64 * 1024);
    // Each of the 200 waits on a full socket used to leave a 'close'
    // and an 'error' listener.
    expect(listeners.close).toBeLessThan(5);
    expect(listeners.error).toBeLessThan(5);
  });
});
